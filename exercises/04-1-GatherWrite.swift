// Exercise 04-1: keep what writev did not take.
//
// A non-blocking `write` copies as many bytes as fit in the socket's send buffer and returns the
// count — possibly fewer than you asked for — or fails with EAGAIN when nothing fits at all.
// Neither is an error: an event-loop server keeps the rest and writes it when epoll says the
// socket is writable again (Chapter 4, "Partial writes", does it for one flat buffer).
//
// Here the pending output is a list of chunks (one per reply, say), and `flush` sends as many as
// it can with one `writev(2)` call per round: a gather write, one system call for many buffers.
// The count writev returns can end anywhere: after some whole chunks, or in the middle of one.
// Bytes must go out in the order they were appended, each exactly once, and one writev takes at
// most `maxChunksPerWrite` chunks. `withIOVecs` (below) builds the iovec array for you.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise04_1`). Stuck? `swift run Progress hint 04-1`.

// I AM NOT DONE

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
        // TODO: in a loop, writev up to maxChunksPerWrite chunks (withIOVecs), then drop what
        // was written: whole chunks first, then the front of a chunk written in part.
        return chunks.isEmpty
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
