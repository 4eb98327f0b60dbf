// Exercise 01-1: write the protocol's step function yourself.
//
// Every server in this repository runs the same two-state machine (Chapter 0): one byte goes in,
// at most one reply byte comes out, and the state carries over to the next byte, however the
// bytes were split into reads. ServerCore's `ProtocolMachine.step` is the answer Chapter 1 walks
// through; write yours here without looking, then compare.
//
//   waiting:    `^` starts a message; every other byte is ignored (no reply).
//   in message: `$` ends the message (no reply); every other byte b is answered with b + 1,
//               so `^` inside a message earns `_`, and 0xFF earns 0x00.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise01_1`).

// I AM NOT DONE

/// The protocol's state machine, one byte at a time.
struct StepMachine {
    enum State: Equatable {
        case waiting
        case inMessage
    }

    private(set) var state: State = .waiting

    /// Consumes one byte, moving to the next state, and returns the reply byte if it earns one.
    mutating func step(_ byte: UInt8) -> UInt8? {
        // TODO: look at `state` and `byte`; change `state` on `^` and `$`; answer the bytes of a
        // message. Remember: no reply is `nil`.
        return nil
    }
}
