// Exercise 04-3, reference solution: read the edge-triggered way.
//
// The loop ends only when the kernel says there is nothing more (EAGAIN) or the peer has closed
// (0): those are the only two ways to know no readiness edge is being thrown away. Part 4's
// `Connection.readAvailable` may stop earlier (at the output cap, or after 16 reads) only because
// its loop is level-triggered.

import Glibc
import ServerCore

/// Reads everything available on the non-blocking socket `fd` and appends it to `received`.
/// Returns `false` if the peer has closed its side (a read returned 0), `true` if the socket is
/// simply empty for now (EAGAIN/EWOULDBLOCK). Retries EINTR; throws any other failure as a
/// `SystemCallError("read(2)", ...)`. Use a buffer of at most 4096 bytes per read.
func drainReadable(_ fd: Int32, into received: inout [UInt8]) throws -> Bool {
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            received += buffer[..<count]
            continue
        }
        if count == 0 { return false }  // the peer closed its side
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK { return true }  // drained: wait for the next edge
        if code == EINTR { continue }
        throw SystemCallError("read(2)", code: code)
    }
}
