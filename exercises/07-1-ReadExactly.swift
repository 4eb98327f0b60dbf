// Exercise 07-1: a read that suspends the task, not the thread.
//
// AsyncAwaitServer's socket (Chapter 7, "An async socket") tries read(2) on a non-blocking
// descriptor and, only when that fails with EAGAIN, asks its executor to resume the task when
// epoll says the descriptor is readable, and suspends. Write the same idea for a caller who needs
// an exact number of bytes (a fixed-size header, say): keep reading until `count` bytes have
// arrived, suspending in `waiter.waitUntilReadable(fd)` each time the socket has nothing — never
// before trying, never in a busy loop, never by blocking the thread.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise07_1`). Stuck? `swift run Progress hint 07-1`.

// I AM NOT DONE

import Glibc
import ServerCore

/// Whatever resumes a task when a descriptor becomes readable: in the server, the executor's
/// epoll loop; in the test, a stand-in that counts the waits.
protocol ReadinessWaiter {
    /// Suspends the calling task until `fd` may be readable. Call it only after read(2) said EAGAIN.
    func waitUntilReadable(_ fd: Int32) async throws
}

/// The client closed before sending all the bytes asked for.
struct EndOfStream: Error, Equatable {
    /// The bytes that did arrive.
    var received: [UInt8]
}

/// Reads exactly `count` bytes from the non-blocking socket `fd`. Throws `EndOfStream` if the
/// peer closes first, and `SystemCallError("read(2)", code: errno)` for any failure other than
/// EAGAIN/EWOULDBLOCK (wait, then try again) or EINTR (just try again).
func readExactly(_ count: Int, from fd: Int32, waiter: some ReadinessWaiter) async throws -> [UInt8] {
    // TODO: read(2) into a buffer until `count` bytes are in; suspend on EAGAIN.
    return []
}
