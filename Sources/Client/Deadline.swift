// Deadline: how the client waits for a server without ever waiting forever.
//
// The servers block on purpose; that is their lesson. The client must not: a server that is busy
// with other clients, or stuck, should cost it `--timeout` seconds and a clear message, not a
// hung terminal. So every wait goes through poll(2) with the time left before a deadline, and
// the connect is made non-blocking for the same reason (a blocking `connect` to a full accept
// queue can take minutes to give up). ServerCore's `Socket.connect` blocks, so the client brings
// its own; the reads and writes are ServerCore's.

import Glibc
import ServerCore

/// A moment on the monotonic clock by which a wait must be over.
struct Deadline: Sendable {
    let instant: Double

    init(secondsFromNow seconds: Double) {
        instant = MonotonicClock.now() + seconds
    }

    /// The time left as poll(2) wants it: whole milliseconds, rounded up so that a wait never
    /// ends just before the deadline and spins.
    var remainingMilliseconds: Int32 {
        let left = (instant - MonotonicClock.now()) * 1000
        return left <= 0 ? 0 : Int32(min(left.rounded(.up), Double(Int32.max)))
    }
}

extension Socket {
    /// Connects a new TCP socket to `host:port`, or returns `nil` if `deadline` passes first.
    static func connect(host: String, port: UInt16, before deadline: Deadline) throws -> Socket? {
        let address = try SocketAddress(host: host, port: port)
        let socket = Socket(fd: try retryingOnInterrupt("socket(2)") {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                | Int32(SOCK_NONBLOCK.rawValue), 0)
        })
        do {
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

    /// Waits until a `read` would not block (bytes or end of stream have arrived). Returns
    /// `false` if `deadline` passes first.
    func waitForInput(before deadline: Deadline) throws -> Bool {
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
