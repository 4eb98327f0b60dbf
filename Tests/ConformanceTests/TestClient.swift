// TestClient: a test's end of one TCP connection to a server under test.
//
// A blocking client over a real socket, with a time limit on every wait, so a server that stops
// answering fails a test with a message instead of hanging the run. It connects through the
// harness's timed connect (Sources/Harness/TimedConnect.swift) and waits through its deadlines.

import Glibc
import Harness
import ServerCore
import Synchronization

/// A test's end of one TCP connection to a server. Every wait has a timeout and every failure
/// throws a `HarnessError` that says what was expected. Copies share the socket; close it once.
final class TestClient: Sendable {
    let socket: Socket
    /// Set by the first `close()` or `reset()`. Closing twice is not harmless: tests run in
    /// parallel, and by the second close the descriptor number may belong to another test.
    private let closed = Atomic<Bool>(false)

    init(socket: Socket) {
        self.socket = socket
    }

    /// Connects to `127.0.0.1:port` with Nagle's algorithm off, so each `send` leaves at once.
    /// `receiveBufferSize` and `sendBufferSize` (bytes) shrink the kernel buffers before the
    /// connection is made, e.g. for a client that never reads and should stall quickly.
    /// Throws if the connection is not made within `timeout` seconds (a full accept queue makes
    /// the kernel drop the handshake, and a plain `connect` would then wait for minutes).
    static func connect(port: UInt16, host: String = "127.0.0.1", timeout: Double = 10,
                        receiveBufferSize: Int32? = nil, sendBufferSize: Int32? = nil) throws -> TestClient {
        signal(SIGPIPE, SIG_IGN)
        let address = try SocketAddress(host: host, port: port)
        let connected = try Socket.connect(to: address, before: Deadline(secondsFromNow: timeout)) { socket in
            if let receiveBufferSize { try socket.setOption(SOL_SOCKET, SO_RCVBUF, receiveBufferSize) }
            if let sendBufferSize { try socket.setOption(SOL_SOCKET, SO_SNDBUF, sendBufferSize) }
            try socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            // A blocking send that makes no progress for this long fails with EAGAIN rather than
            // hanging the whole test run on a server that has stopped reading.
            var sendTimeout = timeval(tv_sec: 30, tv_usec: 0)
            try retryingOnInterrupt("setsockopt(2)") {
                setsockopt(socket.fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
            }
        }
        guard let socket = connected else {
            throw HarnessError("connect(2) to \(address) did not complete within \(timeout) s (accept queue full?)")
        }
        return TestClient(socket: socket)
    }

    /// Sends every byte, blocking while the socket's send buffer is full.
    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let sent = Glibc.send(socket.fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN {
                        throw HarnessError("send(2) made no progress for 30 s after \(offset) of \(buffer.count) bytes; is the server still reading?")
                    }
                    throw HarnessError("send(2) failed after \(offset) of \(buffer.count) bytes: \(SystemCallError("send(2)", code: errno))")
                }
                offset += sent
            }
        }
    }

    /// Sends the UTF-8 bytes of `text`.
    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Sends `bytes` from a background thread while `body` runs here (typically receiving the
    /// replies, which a server starts sending before it has read everything). The thread is
    /// always joined before this returns; if `body` throws, the connection is shut down first so
    /// a send blocked on a server that stopped reading ends instead of hanging.
    func send<Result>(_ bytes: [UInt8], whileRunning body: () throws -> Result) throws -> Result {
        let sender = try BackgroundThread { [self] in try send(bytes) }
        let result: Result
        do {
            result = try body()
        } catch {
            // shutdown, not close: the descriptor number stays ours until the sender is done,
            // so it cannot be reused by another test's socket while the sender still holds it.
            try? socket.shutdown(Int32(SHUT_RDWR))
            try? sender.join()
            throw error
        }
        try sender.join()
        return result
    }

    /// Receives exactly `count` bytes, waiting at most `timeout` seconds in all. Throws if they do
    /// not all arrive in time or the server closes the connection first.
    func receive(exactly count: Int, timeout: Double = 10) throws -> [UInt8] {
        let deadline = Deadline(secondsFromNow: timeout)
        var received: [UInt8] = []
        received.reserveCapacity(count)
        var buffer = [UInt8](repeating: 0, count: min(max(count, 1), 65_536))
        while received.count < count {
            guard try socket.waitForInput(before: deadline) else {
                throw HarnessError("expected \(count) bytes within \(timeout) s, got \(received.count): \(describeBytes(received))")
            }
            let wanted = min(count - received.count, buffer.count)
            let got = buffer.withUnsafeMutableBytes { Glibc.recv(socket.fd, $0.baseAddress, wanted, 0) }
            if got == 0 {
                throw HarnessError("server closed the connection after \(received.count) of \(count) expected bytes: \(describeBytes(received))")
            }
            if got < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw HarnessError("recv(2) failed after \(received.count) of \(count) expected bytes: \(SystemCallError("recv(2)", code: errno))")
            }
            received += buffer[..<got]
        }
        return received
    }

    /// Receives exactly as many bytes as `text` has and returns them as a string, for comparing
    /// with `#expect(try client.receive("bcd") == "bcd")`-style assertions.
    func receive(_ text: String, timeout: Double = 10) throws -> String {
        String(decoding: try receive(exactly: text.utf8.count, timeout: timeout), as: UTF8.self)
    }

    /// Everything that arrives within `seconds` (always waits the whole period, unless the server
    /// closes the connection). For asserting that nothing arrives: `#expect(try c.received(within: 0.5).isEmpty)`.
    func received(within seconds: Double) throws -> [UInt8] {
        let deadline = Deadline(secondsFromNow: seconds)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while try socket.waitForInput(before: deadline) {
            let got = buffer.withUnsafeMutableBytes { Glibc.recv(socket.fd, $0.baseAddress, $0.count, 0) }
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNRESET { break }
                throw SystemCallError("recv(2)", code: errno)
            }
            received += buffer[..<got]
        }
        return received
    }

    /// Waits up to `timeout` seconds for the server to close the connection (end of file or a
    /// reset). Throws if it does not, or if bytes arrive instead.
    func expectClosed(timeout: Double = 10) throws {
        let deadline = Deadline(secondsFromNow: timeout)
        var byte: UInt8 = 0
        while true {
            guard try socket.waitForInput(before: deadline) else {
                throw HarnessError("expected the server to close the connection within \(timeout) s")
            }
            let got = Glibc.recv(socket.fd, &byte, 1, 0)
            if got == 0 { return }
            if got < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNRESET { return }
                throw SystemCallError("recv(2)", code: errno)
            }
            throw HarnessError("expected the server to close the connection, but it sent \(describeBytes([byte]))")
        }
    }

    /// Sends `filler` bytes without ever reading, until the kernel will take no more (no progress
    /// for `stallTime` seconds) or `limit` bytes have gone. Returns how many bytes were sent and
    /// whether sending stalled. The socket is left blocking, as it was.
    func sendUntilBlocked(filler: UInt8, limit: Int, stallTime: Double = 0.5) throws -> (sent: Int, blocked: Bool) {
        let flags = fcntl(socket.fd, F_GETFL)
        _ = fcntl(socket.fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(socket.fd, F_SETFL, flags) }
        let chunk = [UInt8](repeating: filler, count: 65_536)
        var total = 0
        while total < limit {
            let sent = chunk.withUnsafeBytes {
                Glibc.send(socket.fd, $0.baseAddress, min($0.count, limit - total), Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                total += sent
                continue
            }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK else {
                throw HarnessError("send(2) failed after \(total) bytes: \(SystemCallError("send(2)", code: errno))")
            }
            var pollEntry = pollfd(fd: socket.fd, events: Int16(POLLOUT), revents: 0)
            if poll(&pollEntry, 1, Int32(stallTime * 1000)) == 0 { return (total, true) }
        }
        return (total, false)
    }

    /// Closes the connection abruptly: with `SO_LINGER` {on, 0 s}, `close` sends a reset (RST)
    /// instead of the orderly FIN, and the server's next read or write fails with ECONNRESET.
    func reset() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(socket.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        socket.close()
    }

    /// Closes the connection in the orderly way (FIN).
    /// Closes once; later calls (say, an explicit close and then a `defer`) do nothing.
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        socket.close()
    }
}

/// `"bcd" (3 bytes)` for printable text, else the first bytes in hex.
func describeBytes(_ bytes: [UInt8]) -> String {
    let shown = bytes.prefix(64)
    let printable = shown.allSatisfy { (0x20...0x7E).contains($0) }
    let text = printable
        ? "\"\(String(decoding: shown, as: UTF8.self))\""
        : shown.map { String($0, radix: 16) }.joined(separator: " ")
    return "\(text)\(bytes.count > shown.count ? " ..." : "") (\(bytes.count) bytes)"
}
