// Exercise 01-2: serve one client over a connected socket, and count the bytes each way.
//
// This is the loop at the heart of Chapter 1's sequential server: greet the client, then read,
// feed the protocol machine, and write back what the read earned, until the client goes away.
// Your version also keeps a tally, so the server can log one line per client such as
// `127.0.0.1:53422 disconnected (36 bytes in, 19 bytes out)`.
//
// Rules of the house (Chapter 2): write all the replies of one read with one write, never one
// byte at a time; and a client that resets or vanishes ends *its* session, never the server, so
// no `try!` and nothing thrown out of this function. Use ServerCore's `Socket` (`read(into:)`,
// `writeAll`) and `ProtocolMachine`; `serveConnection` is the answer, so don't call it.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise01_2`). Stuck? `swift run Progress hint 01-2`.

// I AM NOT DONE

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
    let tally = ByteTally()
    // TODO: send the greeting, then read / feed / write in a loop, counting as you go.
    return tally
}
