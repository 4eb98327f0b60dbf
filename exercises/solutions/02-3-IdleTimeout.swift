// Exercise 02-3, reference solution: end a session that goes quiet.
//
// SO_RCVTIMEO makes every blocking read on the socket give up after the idle limit with EAGAIN.
// Each read starts the clock afresh, so only silence ends the session, never a long but lively
// one. (poll(2) with a timeout before each read is the other way; SO_RCVTIMEO keeps the loop
// exactly the shape of Chapter 1's.)

import Glibc
import ServerCore

/// Why a session with an idle limit ended.
enum SessionEnding: Equatable {
    /// The client closed its side (a read returned 0).
    case clientClosed
    /// Nothing arrived for the idle limit.
    case idleTimeout
    /// A read or write failed for another reason, e.g. the client reset the connection.
    case failed(SystemCallError)
}

/// Serves `client` (the greeting, then the protocol) until it closes, fails, or sends nothing
/// for `idleSeconds`. Does not close the socket: the caller logs why and closes it.
func serveUntilIdle(_ client: Socket, idleSeconds: Double) -> SessionEnding {
    let whole = Int(idleSeconds)
    var limit = timeval(tv_sec: whole, tv_usec: Int((idleSeconds - Double(whole)) * 1_000_000))
    if setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)) == -1 {
        return .failed(SystemCallError("setsockopt(2)", code: errno))
    }
    var machine = ProtocolMachine()
    var input = [UInt8](repeating: 0, count: 4096)
    do {
        try client.writeAll([ProtocolMachine.greeting])
        while true {
            let count = try input.withUnsafeMutableBytes { try client.read(into: $0) }
            if count == 0 { return .clientClosed }
            let reply = machine.feed(input[..<count])
            if !reply.isEmpty { try client.writeAll(reply) }
        }
    } catch let failure as SystemCallError where failure.call == "read(2)" && failure.code == EAGAIN {
        return .idleTimeout  // EAGAIN is EWOULDBLOCK on Linux: the receive timeout expired
    } catch {
        // Socket's calls throw nothing but SystemCallError.
        return .failed(error as? SystemCallError ?? SystemCallError("serve", code: EIO))
    }
}
