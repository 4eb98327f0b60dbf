// AsyncSocket: a non-blocking socket whose reads and writes suspend the calling task, not the
// thread.
//
// Each call first simply tries: read(2) or write(2) on a non-blocking descriptor. Most of the
// time there is something to read, or room to write, and the call returns without suspending at
// all. Only on EAGAIN does the task ask the executor to wake it when epoll reports the
// descriptor, and suspend. Part 5's GreenSocket (Sources/StateThreads/GreenSocket.swift) has the
// same shape; there, "suspend" saves registers and switches stacks, here it returns from a job.
//
// The session code (ClientSession.swift) is written against `ByteStream`, so that the blocking
// demonstration can run the very same session over a blocking socket.
//
// `nonisolated(nonsending)` on these functions (and on `serve` and the executor's waits) says
// "run on the caller's executor". Without it, a nonisolated async function runs on the generic
// executor (for a task with an executor preference, as ours have, that means the preferred one),
// so the compiler puts a hop (`swift_task_switch`) around every call and return in the session,
// and each hop looks the task's preference up under its status lock, a mutex, only to learn that
// it should stay on this thread. Profiled at 1,000
// clients: 4 hops per message without it, 2 with it (Chapter 7).

import CLinux
import Glibc
import ServerCore

/// What a session needs from a connection.
protocol ByteStream {
    /// Up to `maxCount` bytes; empty when the peer has closed its side.
    nonisolated(nonsending) func read(maxCount: Int, deadline: UInt64?) async throws -> [UInt8]
    /// Every byte of `bytes`, however many writes that takes.
    nonisolated(nonsending) func write(_ bytes: [UInt8]) async throws
}

struct AsyncSocket: ByteStream {
    let fd: Int32
    let executor: EventLoopExecutor

    // snippet: read
    nonisolated(nonsending) func read(maxCount: Int, deadline: UInt64?) async throws -> [UInt8] {
        while true {
            if let bytes = try readNow(maxCount: maxCount) { return bytes }
            try await executor.waitUntilReadable(fd, deadline: deadline)  // EAGAIN: suspend the task
        }
    }

    /// One read(2): the bytes, or nil for EAGAIN. The read lands in the executor's one read
    /// buffer, as Part 4's reads land in its loop's, and only the bytes that came are copied
    /// out before this function returns. It is synchronous, so it cannot suspend: no other task
    /// runs on this thread between the read and the copy, and a task suspended in `read` holds
    /// no buffer at all. (A 4 KiB `withUnsafeTemporaryAllocation` was not on the stack: above
    /// 1 KiB it always takes the heap, a `posix_memalign` and a `free` for every read.)
    private func readNow(maxCount: Int) throws -> [UInt8]? {
        executor.assertOnLoop()  // the buffer is the loop thread's
        let buffer = executor.readBuffer
        let count = Glibc.read(fd, buffer.baseAddress, min(maxCount, buffer.count))
        if count >= 0 { return [UInt8](UnsafeRawBufferPointer(start: buffer.baseAddress, count: count)) }
        switch errno {
        case EAGAIN, EWOULDBLOCK, EINTR: return nil  // EINTR: the loop simply tries again
        case let code: throw SystemCallError("read(2)", code: code)
        }
    }
    // end snippet

    // snippet: write
    nonisolated(nonsending) func write(_ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written >= 0 {
                offset += written
                continue
            }
            let code = errno
            guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                throw SystemCallError("write(2)", code: code)
            }
            // The client is not reading: this task stops here, and so stops reading from it too.
            if code != EINTR { try await executor.waitUntilWritable(fd) }
        }
    }
    // end snippet

    /// Accepts the next client, suspending while there is none. The new socket is non-blocking
    /// (or, with `blocking`, an ordinary blocking one) and close-on-exec.
    func accept(blocking: Bool = false) async throws -> (Socket, SocketAddress) {
        let flags = blocking ? Int32(SOCK_CLOEXEC.rawValue) : Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        while true {
            var peer = SocketAddress()
            let client = peer.withMutableSockaddr { address, length in accept4(fd, address, length, flags) }
            if client >= 0 { return (Socket(fd: client), peer) }
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK:
                try await executor.waitUntilReadable(fd)
            case EINTR, ECONNABORTED, EPROTO:
                continue  // that one client's trouble (it reset while queued): take the next
            default:
                throw SystemCallError("accept4(2)", code: code)  // EMFILE, ENFILE, ENOMEM...
            }
        }
    }
}

/// The blocking demonstration's socket: plain blocking read(2) and write(2), which hold the
/// thread that runs the task for as long as the client is quiet.
struct BlockingSocket: ByteStream {
    let socket: Socket

    nonisolated(nonsending) func read(maxCount: Int, deadline: UInt64?) async throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: maxCount) { buffer, count in
            count = try socket.read(into: UnsafeMutableRawBufferPointer(buffer))  // blocks this pool thread
        }
    }

    nonisolated(nonsending) func write(_ bytes: [UInt8]) async throws {
        try socket.writeAll(bytes)
    }
}
