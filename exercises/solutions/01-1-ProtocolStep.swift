// Exercise 01-1, reference solution: the protocol's step function.
//
// The same two-state machine as ServerCore's `ProtocolMachine.step` (Chapter 1). The state is
// all a server keeps between two reads, which is why a message may span any number of them.

/// The protocol's state machine, one byte at a time.
struct StepMachine {
    enum State: Equatable {
        case waiting
        case inMessage
    }

    private(set) var state: State = .waiting

    /// Consumes one byte, moving to the next state, and returns the reply byte if it earns one.
    mutating func step(_ byte: UInt8) -> UInt8? {
        switch state {
        case .waiting:
            if byte == UInt8(ascii: "^") { state = .inMessage }
            return nil
        case .inMessage:
            if byte == UInt8(ascii: "$") {
                state = .waiting
                return nil
            }
            return byte &+ 1  // wraps: 0xFF is answered with 0x00
        }
    }
}
