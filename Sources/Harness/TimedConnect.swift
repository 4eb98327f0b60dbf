// TimedConnect: connecting and waiting for input with a deadline.
//
// A blocking `connect` to a server whose accept queue is full can take minutes to give up: the
// kernel drops the handshake and retries it. So the connect is made non-blocking, the socket is
// polled for writability until the deadline, and the outcome is read from `SO_ERROR`. ServerCore's
// `Socket.connect` blocks (a server never connects anywhere), so the client simulator and the
// tests share this one instead.

import Glibc
import ServerCore

extension Socket {
    /// Connects a new TCP socket to `address`, or returns `nil` if `deadline` passes first.
    /// `prepare` runs on the socket before the connect starts (buffer sizes, options). The
    /// socket comes back blocking and close-on-exec.
    public static func connect(
        to address: SocketAddress, before deadline: Deadline, prepare: (Socket) throws -> Void = { _ in }
    ) throws -> Socket? {
        let socket = Socket(fd: try retryingOnInterrupt("socket(2)") {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                | Int32(SOCK_NONBLOCK.rawValue), 0)
        })
        do {
            try prepare(socket)
            // Non-blocking, connect(2) starts the handshake and returns at once with EINPROGRESS
            // (on loopback it often just succeeds, or is refused, straight away).
            if address.withSockaddr({ Glibc.connect(socket.fd, $0, $1) }) == -1 {
                let code = errno
                guard code == EINPROGRESS || code == EINTR else { throw SystemCallError("connect(2)", code: code) }
                // The socket becomes writable when the handshake is over, either way it went.
                guard try socket.poll(for: Int16(POLLOUT), before: deadline) else {
                    socket.close()
                    return nil
                }
                var failure: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                try retryingOnInterrupt("getsockopt(2)") {
                    getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, &failure, &length)
                }
                if failure != 0 { throw SystemCallError("connect(2)", code: failure) }
            }
            // Back to blocking, so ServerCore's `writeAll` and `read` behave as they do in a server.
            let flags = try retryingOnInterrupt("fcntl(2)") { fcntl(socket.fd, F_GETFL) }
            try retryingOnInterrupt("fcntl(2)") { fcntl(socket.fd, F_SETFL, flags & ~O_NONBLOCK) }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Connects a new TCP socket to `host:port`, or returns `nil` if `deadline` passes first.
    public static func connect(host: String, port: UInt16, before deadline: Deadline) throws -> Socket? {
        try connect(to: try SocketAddress(host: host, port: port), before: deadline)
    }

    /// Waits until a `read` would not block (bytes, end of stream or an error have arrived).
    /// Returns `false` if `deadline` passes first.
    public func waitForInput(before deadline: Deadline) throws -> Bool {
        try poll(for: Int16(POLLIN), before: deadline)
    }

    /// Waits for `events` with poll(2), taking the time left again after an interrupted call.
    private func poll(for events: Int16, before deadline: Deadline) throws -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let ready = Glibc.poll(&entry, 1, deadline.remainingMilliseconds)
            if ready > 0 { return true }  // includes POLLERR/POLLHUP: the next call reports them
            if ready == 0 { return false }
            if errno != EINTR { throw SystemCallError("poll(2)", code: errno) }
        }
    }
}
