// Exercise 04-1, reference solution: pending output as chunks, flushed with writev.
//
// Part 4's `Connection.flush` (Chapter 4) with a list of chunks instead of one buffer: the same
// loop, the same EAGAIN / EINTR / failure split, and the bookkeeping of a count that may end in
// the middle of a chunk.

import Glibc
import ServerCore

/// The most chunks one `writev` takes on Linux (IOV_MAX); more make it fail with EINVAL.
let maxChunksPerWrite = 1024

/// Reply chunks waiting for room in a non-blocking socket's send buffer.
struct PendingChunks {
    /// The chunks not yet written (the first one possibly in part), oldest first; none is empty.
    private(set) var chunks: [[UInt8]] = []

    /// How many bytes are waiting.
    var count: Int { chunks.reduce(0) { $0 + $1.count } }

    /// Queues `chunk` behind whatever is already waiting.
    mutating func append(_ chunk: [UInt8]) {
        if !chunk.isEmpty { chunks.append(chunk) }
    }

    /// Writes as much as the non-blocking socket `fd` takes right now, with `writev`, and keeps
    /// the rest. Returns `true` once nothing is left waiting. EAGAIN/EWOULDBLOCK just means "not
    /// now"; EINTR means "try again"; any other failure is thrown as a
    /// `SystemCallError("writev(2)", ...)`.
    mutating func flush(to fd: Int32) throws -> Bool {
        while !chunks.isEmpty {
            let batch = chunks.prefix(maxChunksPerWrite)
            let written = withIOVecs(batch) { writev(fd, $0.baseAddress, Int32($0.count)) }
            if written < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK { return false }  // the send buffer is full
                if code == EINTR { continue }
                throw SystemCallError("writev(2)", code: code)  // EPIPE, ECONNRESET: the peer is gone
            }
            drop(written)
        }
        return true
    }

    /// Forgets the first `count` pending bytes: whole chunks, then the front of the next one.
    private mutating func drop(_ count: Int) {
        var left = count
        var whole = 0
        while whole < chunks.count && chunks[whole].count <= left {
            left -= chunks[whole].count
            whole += 1
        }
        chunks.removeFirst(whole)
        if left > 0 { chunks[0].removeFirst(left) }
    }
}

/// Calls `body` with an iovec for each of `chunks`, pointing into the arrays' own storage; the
/// pointers are valid only inside `body`. Given: the Swift part of calling `writev`.
func withIOVecs<Result>(_ chunks: ArraySlice<[UInt8]>, _ body: (UnsafeBufferPointer<iovec>) -> Result) -> Result {
    var vectors: [iovec] = []
    vectors.reserveCapacity(chunks.count)
    // One withUnsafeBytes per chunk, nested, so that every chunk's pointer is valid at once.
    func nest(_ index: Int) -> Result {
        guard index < chunks.endIndex else { return vectors.withUnsafeBufferPointer(body) }
        return chunks[index].withUnsafeBytes { bytes in
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
            return nest(index + 1)
        }
    }
    return nest(chunks.startIndex)
}
