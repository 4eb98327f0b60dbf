// Exercise 04-1, reference solution: keep what the socket did not take.
//
// Written bytes are counted off the front with an offset rather than removed one `write` at a
// time, so a megabyte of replies trickling out in small pieces is not copied over and over; the
// array drops what was written once per flush. Part 4's `Connection.flush` is the same idea, with
// the offset kept between calls and the buffer compacted before new replies are appended.

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
        var written = 0
        defer { bytes.removeFirst(written) }  // whatever happened, forget what went out
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if result >= 0 {
                written += result
                continue
            }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { return false }  // full: the rest waits
            if code == EINTR { continue }
            throw SystemCallError("write(2)", code: code)
        }
        return true
    }
}
