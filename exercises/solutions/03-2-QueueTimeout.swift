// Exercise 03-2, reference solution: turn away a client who waited too long in the queue.
//
// The worker measures the wait on the monotonic clock, from the moment of `accept` to the moment
// it took the client. Over the limit, the client gets one line saying why before its connection
// closes — a clear "try again later" instead of a silent hang-up — and a client that has already
// left makes `writeAll` fail with EPIPE, which is ignored: there is nobody left to tell.

import Glibc
import ServerCore

/// A client the accept loop has accepted and queued, with the moment it was accepted.
struct QueuedClient: Sendable {
    let socket: Socket
    /// `MonotonicClock.now()` when the client was accepted.
    let acceptedAt: Double
}

/// The line a client that waited too long reads before its connection closes.
let queueTimeoutMessage = "server busy: you waited too long in the queue, try again later\n"

/// Decides whether a worker should serve `client`, which it has just taken from the queue.
/// If the client waited at most `queueTimeout` seconds (from `acceptedAt` to `now`), returns true
/// and leaves the socket alone. Otherwise sends it `queueTimeoutMessage`, closes the socket and
/// returns false. Never throws, never crashes: a client that has already gone is simply closed.
func admitFromQueue(_ client: QueuedClient, queueTimeout: Double, now: Double) -> Bool {
    let waited = now - client.acceptedAt
    if waited <= queueTimeout { return true }
    try? client.socket.writeAll(Array(queueTimeoutMessage.utf8))  // EPIPE if it has gone: fine
    client.socket.close()
    return false
}
