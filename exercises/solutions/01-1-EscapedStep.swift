// Exercise 01-1, reference solution: a step function with an escape byte.
//
// ServerCore's `ProtocolMachine.step` (Chapter 1) with a third state. The state is all a server
// keeps between two reads, which is why a message, or an escape, may span any number of them.

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
        switch state {
        case .waiting:
            if byte == UInt8(ascii: "^") { state = .inMessage }
            return nil
        case .inMessage:
            switch byte {
            case UInt8(ascii: "$"):
                state = .waiting
                return nil
            case UInt8(ascii: "\\"):
                state = .escaped
                return nil
            default:
                return byte &+ 1  // wraps: 0xFF is answered with 0x00
            }
        case .escaped:
            state = .inMessage
            return byte &+ 1
        }
    }
}
