// Exercise 04-1: keep what the socket did not take.
//
// A non-blocking `write` copies as many bytes as fit in the socket's send buffer and returns the
// count — possibly fewer than you asked for — or fails with EAGAIN when nothing fits at all.
// Neither is an error: an event-loop server keeps the rest and writes it when epoll says the
// socket is writable again (Chapter 4, "Partial writes"). Build that buffer. Bytes must go out in
// the order they were appended, each exactly once.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise04_1`).

// I AM NOT DONE

import Glibc
import ServerCore

/// Reply bytes waiting for room in a non-blocking socket's send buffer.
struct PendingOutput {
    /// The bytes not yet written, oldest first.
    private(set) var bytes: [UInt8] = []

    /// How many bytes are waiting.
    var count: Int { bytes.count }

    /// Queues `more` behind whatever is already waiting.
    mutating func append(_ more: [UInt8]) {
        bytes += more
    }

    /// Writes as much as the non-blocking socket `fd` takes right now and keeps the rest.
    /// Returns `true` once nothing is left waiting. EAGAIN/EWOULDBLOCK just means "not now";
    /// EINTR means "try again"; any other failure is thrown as a `SystemCallError("write(2)", ...)`.
    mutating func flush(to fd: Int32) throws -> Bool {
        // TODO: call Glibc.write in a loop until everything is written or the socket is full.
        return bytes.isEmpty
    }
}
