// Socket: a thin layer over the Glibc socket calls the blocking servers and the tools use.
//
// Each method is one system call (two for `listen`), with the C call in plain view, EINTR
// retried through `retryingOnInterrupt`, and failures thrown as a `SystemCallError`. Nothing
// here decides policy: what to do when a client resets or `accept` runs out of descriptors is
// the server's business, and each Part shows its own answer.

import Glibc

/// A stream socket's file descriptor. Copies share the descriptor; `close()` it exactly once.
public struct Socket: Sendable, Hashable {
    public let fd: Int32

    public init(fd: Int32) {
        self.fd = fd
    }

    // snippet: listen
    /// Creates a TCP socket bound to `host:port` and listening with the given backlog.
    /// Port 0 asks the kernel for a free port; `localAddress()` tells which one it picked.
    /// `sharingPort` lets several sockets listen on one port, each with its own queue (Chapter 8).
    public static func listen(host: String, port: UInt16, backlog: Int32, sharingPort: Bool = false) throws -> Socket {
        let address = try SocketAddress(host: host, port: port, passive: true)
        let socket = Socket(fd: try retryingOnInterrupt("socket(2)") {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        })
        do {
            // Without SO_REUSEADDR a restarted server fails with "Address already in use"
            // while the previous run's connections sit in TIME_WAIT.
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
            if sharingPort { try socket.setOption(SOL_SOCKET, SO_REUSEPORT, 1) }
            try retryingOnInterrupt("bind(2)") { address.withSockaddr { Glibc.bind(socket.fd, $0, $1) } }
            try retryingOnInterrupt("listen(2)") { Glibc.listen(socket.fd, backlog) }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }
    // end snippet

    /// Connects a new TCP socket to `host:port` (used by the client simulator and the tests).
    public static func connect(host: String, port: UInt16) throws -> Socket {
        let address = try SocketAddress(host: host, port: port)
        let socket = Socket(fd: try retryingOnInterrupt("socket(2)") {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        })
        do {
            // A connect interrupted by a signal carries on in the background; retrying it
            // would fail with EALREADY, so this one call is not retried on EINTR.
            if address.withSockaddr({ Glibc.connect(socket.fd, $0, $1) }) == -1 {
                throw SystemCallError("connect(2)", code: errno)
            }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    // snippet: accept
    /// Waits for the next client and returns its socket and address.
    public func accept() throws -> (client: Socket, peer: SocketAddress) {
        var peer = SocketAddress()
        let clientFD = try peer.withMutableSockaddr { address, length in
            try retryingOnInterrupt("accept(2)") { Glibc.accept(fd, address, length) }
        }
        return (Socket(fd: clientFD), peer)
    }
    // end snippet

    /// Reads whatever has arrived, up to `buffer.count` bytes. Returns 0 when the peer has
    /// closed its side.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try retryingOnInterrupt("read(2)") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    // snippet: write-all
    /// Writes every byte. On Linux a blocking TCP `write` waits for room in the send buffer until
    /// it has taken everything; it returns less only when a signal handler interrupts it, or a
    /// send timeout (SO_SNDTIMEO) runs out, after some bytes went out. Then the loop sends the rest.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = try retryingOnInterrupt("write(2)") {
                Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            }
            offset += written
        }
    }
    // end snippet

    /// Writes every byte of `bytes`.
    public func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
    }

    /// Closes the descriptor. Not retried on EINTR: on Linux the descriptor is gone either way,
    /// and a second `close` could close a descriptor another thread has just been given.
    public func close() {
        _ = Glibc.close(fd)
    }

    /// Shuts down one or both directions (`SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`).
    public func shutdown(_ how: Int32) throws {
        try retryingOnInterrupt("shutdown(2)") { Glibc.shutdown(fd, how) }
    }

    /// Sets an integer socket option, e.g. `setOption(SOL_SOCKET, SO_REUSEADDR, 1)`.
    public func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws {
        var value = value
        try retryingOnInterrupt("setsockopt(2)") {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// The address this socket is bound to; after listening on port 0, the port the kernel chose.
    public func localAddress() throws -> SocketAddress {
        var address = SocketAddress()
        _ = try address.withMutableSockaddr { pointer, length in
            try retryingOnInterrupt("getsockname(2)") { getsockname(fd, pointer, length) }
        }
        return address
    }
}

// snippet: set-non-blocking
/// Makes `fd` non-blocking: calls that would wait fail with EAGAIN instead. Part 4's listener
/// and the green-thread runtime's sockets are set up this way.
public func setNonBlocking(_ fd: Int32) throws {
    let flags = try retryingOnInterrupt("fcntl(2)") { fcntl(fd, F_GETFL) }
    try retryingOnInterrupt("fcntl(2)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
}
// end snippet
