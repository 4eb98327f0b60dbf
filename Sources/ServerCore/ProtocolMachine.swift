// ProtocolMachine: the protocol every server in this repository speaks, written once.
//
// It is a pure value: bytes go in, reply bytes come out, and the state in between is carried
// from one call to the next. It does no I/O, so every Part — sequential, threaded, pooled,
// event-driven, green-threaded — feeds it the same way and differs only in *who waits where*.
// Chapter 0 draws its two states; Chapter 1 walks through `step`.

/// The per-connection state machine of the protocol (Chapter 0).
///
/// - On connect the server sends ``greeting`` (`*`).
/// - **waiting**: `^` starts a message; every other byte is ignored.
/// - **in message**: `$` ends the message; every other byte `b` is answered with `b &+ 1`.
public struct ProtocolMachine: Sendable, Equatable {
    /// Where the machine is between two bytes.
    public enum State: Sendable, Equatable {
        case waiting
        case inMessage
    }

    /// The byte a server sends as soon as it has accepted a client.
    public static let greeting = UInt8(ascii: "*")
    /// Starts a message.
    public static let messageStart = UInt8(ascii: "^")
    /// Ends a message.
    public static let messageEnd = UInt8(ascii: "$")

    public private(set) var state: State = .waiting

    public init() {}

    // snippet: protocol-step
    /// Consumes one byte and returns the reply byte, if that byte earns one.
    public mutating func step(_ byte: UInt8) -> UInt8? {
        switch state {
        case .waiting:
            if byte == Self.messageStart { state = .inMessage }
            return nil
        case .inMessage:
            if byte == Self.messageEnd {
                state = .waiting
                return nil
            }
            return byte &+ 1  // wraps: 0xFF is answered with 0x00
        }
    }
    // end snippet

    // snippet: protocol-feed
    /// Consumes everything one read produced and appends the replies to `reply`,
    /// so the caller can send them with a single write. Returns how many messages a `$` closed,
    /// for a server that does work per message (Chapter 8). (Inlinable so that a server in
    /// another module gets a copy specialised for its buffer type, not a generic loop.)
    @inlinable @discardableResult
    public mutating func feed(_ input: some Sequence<UInt8>, into reply: inout [UInt8]) -> Int {
        var completed = 0
        for byte in input {
            let wasInMessage = state == .inMessage
            if let answer = step(byte) {
                reply.append(answer)
            } else if wasInMessage {
                completed += 1  // inside a message only `$` earns no reply, and it ends the message
            }
        }
        return completed
    }
    // end snippet

    /// Consumes `input` and returns the replies it earns.
    @inlinable
    public mutating func feed(_ input: some Sequence<UInt8>) -> [UInt8] {
        var reply: [UInt8] = []
        feed(input, into: &reply)
        return reply
    }
}
