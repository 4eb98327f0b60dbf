// Exercise 02-3: end a session that goes quiet.
//
// A thread per client means a client that connects and then says nothing holds a thread (a
// kernel task, 8 MiB of reserved address space, some 17 KiB of resident memory: Chapter 2
// measures them) and a descriptor for as long as it likes; enough of them and the server runs
// out of descriptors (`ulimit -n`) or threads (`ulimit -u`).
// Serve a client as Exercise 01-2 did, but give up on it once nothing has arrived for
// `idleSeconds`, and say why the session ended. A client that keeps talking must never be cut
// off, however long it stays: the clock restarts with every read.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise02_3`). Stuck? `swift run Progress hint 02-3`.

// I AM NOT DONE

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
    // TODO: arrange for a read to stop waiting after idleSeconds, then serve as in 01-2 and
    // tell a timed-out read apart from the other failures.
    return .clientClosed
}
