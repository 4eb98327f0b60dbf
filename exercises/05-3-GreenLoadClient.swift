// Exercise 05-3: a load generator on green threads.
//
// State Threads serves load generators as well as servers: many simulated clients, one kernel
// thread. Write `playSeedVector`: start `clients` green threads; each connects to
// 127.0.0.1:`port` with GreenSocket.connect, reads the greeting `*`, then sends the three chunks
// of the seed vector (below) one at a time, reading each chunk's whole reply before sending the
// next, and closes. Wait for all of them (join) and return how many clients got every reply
// exactly right. A client whose connection fails counts as a failure, not as a crash.
//
// It is called from a green thread (inside Scheduler.run). Reads may return a reply in pieces:
// keep reading until you have as many bytes as you expect. Give every read a timeout, so a
// broken server fails the client instead of hanging it.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise05_3`). Stuck? `swift run Progress hint 05-3`.

// I AM NOT DONE

import ServerCore
import StateThreads

/// The seed vector: what each client sends, and the reply each chunk must earn.
let seedVector: [(send: String, reply: String)] = [
    ("^abc$de^abte$f", "bcdbcuf"),
    ("xyz^123", "234"),
    ("25$^ab0000$abab", "36bc1111"),
]

/// Runs `clients` green clients against 127.0.0.1:`port` at once; returns how many were answered
/// exactly right. Call it from a green thread.
func playSeedVector(clients: Int, port: UInt16) -> Int {
    // TODO: spawn the clients, join them, count the successes.
    0
}
