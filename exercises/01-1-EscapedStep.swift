// Exercise 01-1: a step function for the protocol, with an escape byte.
//
// Every server in this repository runs the two-state machine of Chapter 0: one byte goes in, at
// most one reply byte comes out, and the state carries over to the next byte however the bytes
// were split into reads. Chapter 1 shows ServerCore's `ProtocolMachine.step`. Here the protocol
// grows one rule, and the machine must grow with it:
//
//   waiting:    `^` starts a message; every other byte is ignored (no reply).
//   in message: `$` ends the message (no reply); a backslash `\` escapes the next byte (no reply
//               for the backslash); every other byte b is answered with b &+ 1.
//   escaped:    the byte after a backslash is an ordinary byte of the message, whatever it is:
//               `$` earns `%`, a second backslash earns `]`, and the message goes on.
//
// Outside a message a backslash is ignored like any other byte. So `^a\$b$` earns `b%c`, and
// a message may be split anywhere, even between a backslash and the byte it escapes.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise01_1`). Stuck? `swift run Progress hint 01-1`.

// I AM NOT DONE

/// The protocol's state machine with escapes, one byte at a time.
struct EscapedMachine {
    enum State: Equatable {
        case waiting
        case inMessage
        /// In a message, right after a backslash.
        case escaped
    }

    private(set) var state: State = .waiting

    /// Consumes one byte, moving to the next state, and returns the reply byte if it earns one.
    mutating func step(_ byte: UInt8) -> UInt8? {
        // TODO: decide, from `state` and `byte`, the next state and the reply (nil for none).
        return nil
    }
}
