// Exercise 05-4, reference solution: a green write.
//
// The shape of Chapter 5's green `read` (GreenSocket.swift), turned round: try the system call;
// count what it took; on EAGAIN park until epoll reports room; try again.

import Glibc
import ServerCore
import StateThreads

/// Writes every byte of `bytes` to the non-blocking descriptor `fd`, from a green thread, waiting
/// for room in the send buffer as often as needed. Each wait gives up after `timeout` (nil: no
/// limit) by throwing `GreenThreadError.timedOut`. Retries EINTR; any other failure is thrown as
/// a `SystemCallError("write(2)", ...)`.
func greenWriteAll(_ fd: Int32, _ bytes: [UInt8], timeout: Duration? = nil) throws {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written >= 0 {
            offset += written  // possibly short: go round for the rest
            continue
        }
        switch errno {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: try Scheduler.waitUntilWritable(fd, timeout: timeout)  // park; other green threads run
        default: throw SystemCallError("write(2)", code: errno)
        }
    }
}
