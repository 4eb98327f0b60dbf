// GreenSocket: socket calls that block only the calling green thread.
//
// Every call first simply tries the system call on the non-blocking socket. When the kernel
// says EAGAIN (nothing to read yet, no room to write, no connection waiting), the green thread
// parks on the descriptor (Scheduler.waitForDescriptor) and the scheduler runs someone else;
// when epoll reports the descriptor ready, the thread wakes and tries again. To the caller this
// looks exactly like a blocking call — `read` returns with data — which is the whole point: the
// server reads like Part 2 and costs what Part 4 costs. One difference from a kernel-blocking
// call: even a call that did not wait may let other green threads run before it returns (a
// thread that has not waited 16 calls in a row yields once, Scheduler.noteIOWithoutWaiting), so
// each thread reads into a buffer of its own.
//
// Each call takes an optional timeout for the whole call (GreenThreadError.timedOut), and
// `GreenThread.interrupt()` wakes a thread blocked in one (GreenThreadError.interrupted).
// Close a GreenSocket with `close()`, never with Glibc.close, so the scheduler forgets the
// descriptor before its number can be reused.

import CLinux
import Glibc
import ServerCore

public struct GreenSocket: Hashable, CustomStringConvertible {
    public let fd: Int32

    /// Takes over `socket`, making it non-blocking.
    public init(adopting socket: Socket) throws {
        try setNonBlocking(socket.fd)
        fd = socket.fd
    }

    private init(nonBlocking fd: Int32) {
        self.fd = fd
    }

    public var description: String { "green socket \(fd)" }

    /// The same descriptor as a blocking-API `Socket` (for `localAddress()`, `setOption`...).
    public var socket: Socket { Socket(fd: fd) }

    /// A listening socket, as `Socket.listen` makes one, ready for `accept`.
    public static func listen(host: String, port: UInt16, backlog: Int32) throws -> GreenSocket {
        let socket = try Socket.listen(host: host, port: port, backlog: backlog)
        do {
            return try GreenSocket(adopting: socket)
        } catch {
            socket.close()
            throw error
        }
    }

    // snippet: green-connect
    /// Connects to `host:port`, waiting (as a green thread) for the handshake to complete.
    public static func connect(host: String, port: UInt16, timeout: Duration? = nil) throws -> GreenSocket {
        let deadline = Scheduler.deadline(after: timeout)
        let address = try SocketAddress(host: host, port: port)
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let socket = GreenSocket(nonBlocking: try retryingOnInterrupt("socket(2)") { Glibc.socket(address.family, type, 0) })
        do {
            if address.withSockaddr({ Glibc.connect(socket.fd, $0, $1) }) == -1 {
                guard errno == EINPROGRESS || errno == EINTR else { throw SystemCallError("connect(2)", code: errno) }
                // The handshake goes on in the kernel; the socket becomes writable when it is over.
                try Scheduler.waitForDescriptor(socket.fd, writing: true, deadline: deadline)
                var failure: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                try retryingOnInterrupt("getsockopt(2)") { getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, &failure, &length) }
                if failure != 0 { throw SystemCallError("connect(2)", code: failure) }
            }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }
    // end snippet

    // snippet: green-accept
    /// Waits for the next client and returns its (non-blocking) socket and address.
    public func accept(timeout: Duration? = nil) throws -> (client: GreenSocket, peer: SocketAddress) {
        let deadline = Scheduler.deadline(after: timeout)
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        while true {
            var peer = SocketAddress()
            let client = peer.withMutableSockaddr { address, length in accept4(fd, address, length, flags) }
            if client >= 0 {
                Scheduler.noteIOWithoutWaiting()
                return (GreenSocket(nonBlocking: client), peer)
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try Scheduler.waitForDescriptor(fd, writing: false, deadline: deadline)
            default: throw SystemCallError("accept4(2)", code: errno)
            }
        }
    }
    // end snippet

    // snippet: green-read
    /// Reads whatever has arrived, up to `buffer.count` bytes, waiting for data if there is none
    /// yet. Returns 0 when the peer has closed its side.
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration? = nil) throws -> Int {
        let deadline = Scheduler.deadline(after: timeout)
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 {
                Scheduler.noteIOWithoutWaiting()
                return count
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try Scheduler.waitForDescriptor(fd, writing: false, deadline: deadline)
            default: throw SystemCallError("read(2)", code: errno)
            }
        }
    }
    // end snippet

    /// Writes every byte of `bytes`, waiting for room in the send buffer as often as needed.
    public func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration? = nil) throws {
        let deadline = Scheduler.deadline(after: timeout)
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written >= 0 {
                offset += written
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try Scheduler.waitForDescriptor(fd, writing: true, deadline: deadline)
            default: throw SystemCallError("write(2)", code: errno)
            }
        }
        Scheduler.noteIOWithoutWaiting()
    }

    /// Writes every byte of `bytes`.
    public func write(_ bytes: [UInt8], timeout: Duration? = nil) throws {
        try bytes.withUnsafeBytes { try write($0, timeout: timeout) }
    }

    /// Shuts down one or both directions (`SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`). Never waits.
    public func shutdown(_ how: Int32) throws {
        try socket.shutdown(how)
    }

    /// Closes the descriptor. A green thread still waiting on it is woken and its call fails.
    public func close() {
        Scheduler.forgetDescriptor(fd)
        Glibc.close(fd)
    }
}
