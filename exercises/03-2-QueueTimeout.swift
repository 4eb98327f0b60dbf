// Exercise 03-2: turn away a client who waited too long in the queue.
//
// A saturated pool makes clients wait: first in its queue, then in the kernel's backlog. A client
// that has waited ten seconds for a greeting has probably given up, or soon will; serving it then
// wastes a worker on somebody who is gone. A `--queue-timeout` lets the server say so instead:
// when a worker takes a client from the queue, it checks how long that client waited, and if it
// was longer than the limit, tells the client plainly and closes the connection rather than
// serving it, then goes on to the next client.
//
// Write `admitFromQueue`, which a worker would call right after `pop`. It is given the time now
// (so the test can control the clock); in a server that would be `MonotonicClock.now()`.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise03_2`). Stuck? `swift run Progress hint 03-2`.

// I AM NOT DONE

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
    // TODO
    return true
}
