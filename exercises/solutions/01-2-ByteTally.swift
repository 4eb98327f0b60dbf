// Exercise 01-2, reference solution: serve one client and count the bytes each way.
//
// ServerCore's `serveConnection` (Chapter 1) with a tally: the greeting, then read, feed the
// protocol machine, and one write per read, until the client closes or a call fails.

import Glibc
import ServerCore

/// What one client's session came to.
struct ByteTally: Equatable, CustomStringConvertible {
    /// Bytes received from the client.
    var bytesIn = 0
    /// Bytes sent to the client, the greeting included.
    var bytesOut = 0
    /// The read or write that ended the session, or `nil` if the client closed its side.
    var failure: SystemCallError?

    /// `36 bytes in, 19 bytes out`, and what failed, if anything did.
    var description: String {
        let counts = "\(bytesIn) bytes in, \(bytesOut) bytes out"
        guard let failure else { return counts }
        return "\(counts), \(failure)"
    }
}

/// Serves `client` from greeting to goodbye and returns the tally. Returns when the client
/// closes its side or a read or write fails; does not close the socket (the caller does).
func serveCountingBytes(_ client: Socket) -> ByteTally {
    var tally = ByteTally()
    var machine = ProtocolMachine()
    var input = [UInt8](repeating: 0, count: 4096)
    var reply: [UInt8] = []
    do {
        try client.writeAll([ProtocolMachine.greeting])
        tally.bytesOut += 1
        while true {
            let count = try input.withUnsafeMutableBytes { try client.read(into: $0) }
            if count == 0 { return tally }  // the client closed its side
            tally.bytesIn += count
            reply.removeAll(keepingCapacity: true)
            machine.feed(input[..<count], into: &reply)
            if !reply.isEmpty {
                try client.writeAll(reply)  // everything this read earned, in one write
                tally.bytesOut += reply.count
            }
        }
    } catch {
        // A reset, a broken pipe: this client's end, nobody else's. (Socket's calls throw
        // nothing but SystemCallError.)
        tally.failure = error as? SystemCallError ?? SystemCallError("serve", code: EIO)
    }
    return tally
}
