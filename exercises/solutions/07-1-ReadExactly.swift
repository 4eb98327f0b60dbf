// Exercise 07-1, reference solution: a read that suspends the task, not the thread.

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
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
        let result = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, count - filled) }
        if result > 0 {
            filled += result
        } else if result == 0 {
            throw EndOfStream(received: Array(bytes[..<filled]))
        } else {
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try await waiter.waitUntilReadable(fd)  // suspends the task only
            default: throw SystemCallError("read(2)", code: code)
            }
        }
    }
    return bytes
}
