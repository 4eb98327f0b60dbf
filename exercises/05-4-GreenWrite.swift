// Exercise 05-4: a blocking write on green threads.
//
// Chapter 5's green `read` looks blocking to the green thread that calls it, yet never blocks the
// kernel thread: it tries the system call on a non-blocking descriptor and, when the kernel says
// "not now" (EAGAIN), parks the green thread on the descriptor and lets the others run; the
// scheduler's epoll wakes it when the descriptor is ready, and it tries again.
//
// Write the same for the other direction: a `write` of any number of bytes, which a full send
// buffer makes wait, and which the kernel may take only in part. Use the runtime's public API
// for the waiting: `Scheduler.waitUntilWritable(fd, timeout:)` parks the calling green thread
// until epoll reports room in `fd` (or throws `GreenThreadError.timedOut`). Never spin: while
// this green thread waits, the kernel thread must be free to sleep in epoll_wait.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise05_4`). Stuck? `swift run Progress hint 05-4`.

// I AM NOT DONE

import Glibc
import ServerCore
import StateThreads

/// Writes every byte of `bytes` to the non-blocking descriptor `fd`, from a green thread, waiting
/// for room in the send buffer as often as needed. Each wait gives up after `timeout` (nil: no
/// limit) by throwing `GreenThreadError.timedOut`. Retries EINTR; any other failure is thrown as
/// a `SystemCallError("write(2)", ...)`.
func greenWriteAll(_ fd: Int32, _ bytes: [UInt8], timeout: Duration? = nil) throws {
    // TODO: write from an offset in a loop; on EAGAIN, park until writable, then try again.
}
