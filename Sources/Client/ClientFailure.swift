// ClientFailure: every way a simulated client can find that a server got it wrong.
//
// The client is how a reader checks a server they have just written, so its failures must say
// exactly what went wrong: which client, what it was waiting for, what it expected and what it
// got. Each case is one kind of failure; `description` is the sentence the reader sees.

import ServerCore

/// Why one simulated client's session failed.
struct ClientFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What a client waits for at each step of its session.
    enum Awaited: Sendable, Equatable, CustomStringConvertible {
        case connection(host: String, port: UInt16)
        case greeting
        case reply(to: [UInt8], expected: [UInt8])

        var description: String {
            switch self {
            case let .connection(host, port): "the connection to \(host):\(port)"
            case .greeting: "the greeting \(quoted([ProtocolMachine.greeting]))"
            case let .reply(chunk, expected): "the reply to \(quoted(chunk)) (expected \(quoted(expected)))"
            }
        }
    }

    enum Reason: Sendable, Equatable {
        /// Nobody listens on `host:port` (connect(2) failed with ECONNREFUSED).
        case refused(host: String, port: UInt16, error: String)
        /// The address did not resolve, or connect(2) failed for another reason.
        case cannotConnect(host: String, port: UInt16, error: String)
        /// `seconds` went by without what the client was waiting for; `received` came meanwhile.
        case timedOut(waitingFor: Awaited, seconds: Double, received: [UInt8])
        /// The server sent bytes the protocol does not predict (`received` is all it sent, up
        /// to and including the first wrong byte).
        case wrongReply(waitingFor: Awaited, expected: [UInt8], received: [UInt8])
        /// The server closed the connection before sending everything expected.
        case closedEarly(waitingFor: Awaited, received: [UInt8])
        /// A read or write failed, e.g. `read(2) failed: Connection reset by peer`.
        case ioFailed(error: String)
    }

    /// The client's name, e.g. `conn2`.
    let client: String
    let reason: Reason

    var description: String {
        switch reason {
        case let .refused(host, port, error):
            return "\(client) could not connect: \(error); is the server running on \(host):\(port)?"
        case let .cannotConnect(host, port, error):
            return "\(client) could not connect to \(host):\(port): \(error)"
        case let .timedOut(awaited, seconds, received):
            let soFar = received.isEmpty ? "" : "; received only \(quoted(received))"
            return "\(client) timed out after \(Self.text(seconds)) s waiting for \(awaited)\(soFar)"
                + " (a busy server may need a longer --timeout)"
        case let .wrongReply(.greeting, expected, received):
            return "\(client) got a wrong greeting: expected \(quoted(expected)), got \(quoted(received))"
        case let .wrongReply(.reply(chunk, _), expected, received):
            return "\(client) got a wrong reply to \(quoted(chunk)): expected \(quoted(expected)), got \(quoted(received))"
        case let .wrongReply(awaited, expected, received):
            return "\(client) got wrong bytes waiting for \(awaited): expected \(quoted(expected)), got \(quoted(received))"
        case let .closedEarly(awaited, received):
            let soFar = received.isEmpty ? "nothing of it" : "only \(quoted(received))"
            return "\(client) was cut off: the server closed the connection while it waited for \(awaited), having sent \(soFar)"
        case let .ioFailed(error):
            return "\(client) failed: \(error)"
        }
    }

    /// `30`, `0.5`: seconds without a trailing `.0`.
    private static func text(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
    }
}
