// ServerProcess: the black-box harness every conformance and behaviour test drives servers with.
//
// `ServerProcess` starts a built server executable on port 0, learns the port from the server's
// first line of output, and kills the process when the test is done, pass or fail. `TestClient`
// is a blocking client over a real TCP socket with timeouts on every wait, so a server that stops
// answering fails a test with a message instead of hanging the run. `BackgroundThread` runs a
// blocking job (sending a large message while the test reads the replies) on a pthread of its own.
// The seed vector and a few session steps every suite needs (`connectAndGreet`, `runSeedVector`,
// `expectNoStrayReplies`) live here too, so all the server suites share one definition.
//
// Tests run in parallel in one process, so every descriptor the harness opens is close-on-exec:
// a client socket inherited by another test's server would keep that connection open after the
// client closes it, and the server it belongs to would never see the client leave.

import Glibc
import Synchronization
import ServerCore

/// A harness failure, worded to say what was expected and what happened instead.
struct HarnessError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

// MARK: - The server process

/// A server executable running in a child process, listening on a port the kernel chose.
///
/// The process is killed when this object is deinitialised, but Swift may end an object's
/// lifetime right after its last use, so a test should also say `defer { server.kill() }`, or
/// use `withServer(_:arguments:_:)`, which does that and reports the server's fate on failure.
// @unchecked Sendable: `exitStatus`, the only mutable state, is read and written with `mutex` locked.
final class ServerProcess: @unchecked Sendable {
    /// The executable's name, e.g. `Part2Threaded`.
    let executable: String
    /// The server's process id.
    let pid: pid_t
    /// The TCP port the server listens on (from its `listening on 127.0.0.1:PORT` line).
    let port: UInt16

    /// The server's stdout and stderr go to this (already unlinked) temporary file rather than a
    /// pipe, so a chatty server never blocks on a pipe nobody is reading.
    private let outputFile: Int32
    /// Allocated once the process has started, so a start that fails leaks nothing.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Set once the process has been reaped: the exit code, or 128 + the signal that killed it.
    private var exitStatus: Int32?

    /// Starts `executable` (built next to the test binary) with `--port 0` and `arguments`, and
    /// waits up to `startupTimeout` seconds for it to say which port it listens on. A `launcher`
    /// runs first and execs the server, e.g. `["/usr/bin/prlimit", "--as=100000000", "--"]` to
    /// start it under a resource limit; the pid is then the server's own.
    init(_ executable: String, arguments: [String] = [], launcher: [String] = [], startupTimeout: Double = 10) throws {
        signal(SIGPIPE, SIG_IGN)  // a test writing to a server that has gone must fail, not die
        self.executable = executable
        let path = Self.buildDirectory + "/" + executable
        guard access(path, X_OK) == 0 else {
            throw HarnessError("no executable at \(path); is \(executable) a dependency of the test target?")
        }
        outputFile = try Self.makeOutputFile(for: executable)
        do {
            if let program = launcher.first {
                pid = try Self.spawn(program, arguments: Array(launcher.dropFirst()) + [path, "--port", "0"] + arguments, output: outputFile)
            } else {
                pid = try Self.spawn(path, arguments: ["--port", "0"] + arguments, output: outputFile)
            }
        } catch {
            Glibc.close(outputFile)
            throw error
        }
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        do {
            port = try Self.waitForPort(pid: pid, outputFile: outputFile, executable: executable, timeout: startupTimeout)
        } catch {
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            Glibc.close(outputFile)
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
            throw error
        }
    }

    deinit {
        kill()
        Glibc.close(outputFile)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Everything the server has printed so far, stdout and stderr interleaved as written.
    var output: String {
        String(decoding: Self.readAll(outputFile), as: UTF8.self)
    }

    /// Whether the process is still alive (it has not exited and has not been killed).
    var isRunning: Bool {
        reap(blocking: false) == nil
    }

    /// The number of descriptors the server has open (entries in `/proc/PID/fd`), or -1 if the
    /// directory cannot be read (the process is gone).
    func openDescriptorCount() -> Int {
        guard let directory = opendir("/proc/\(pid)/fd") else { return -1 }  // glibc opens it O_CLOEXEC
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != Array(".".utf8) && name != Array("..".utf8) { count += 1 }
        }
        return count
    }

    /// Sends `signal` (e.g. `SIGINT`) to the server.
    func send(signal: Int32) {
        _ = Glibc.kill(pid, signal)
    }

    /// Waits up to `timeout` seconds for the server to exit. Returns its exit code (128 + the
    /// signal number if a signal ended it), or nil if it is still running.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Deadline(after: timeout)
        while true {
            if let status = reap(blocking: false) { return status }
            if deadline.hasPassed { return nil }
            usleep(10_000)
        }
    }

    /// Waits up to `timeout` seconds for `text` to appear in the server's output.
    func waitForOutput(containing text: String, timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { output.contains(text) }
    }

    /// Kills the server with SIGKILL and reaps it. Safe to call any number of times, and after
    /// the server has exited on its own.
    func kill() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard exitStatus == nil else { return }
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        exitStatus = Self.decode(status)
    }

    /// Reaps the process if it has exited; returns its exit status, or nil if it is still running.
    private func reap(blocking: Bool) -> Int32? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        var result: pid_t
        repeat {
            result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        } while result == -1 && errno == EINTR
        guard result == pid else { return nil }
        exitStatus = Self.decode(status)
        return exitStatus
    }

    /// `WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` are C macros Swift does not import; this is what they do.
    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    // MARK: Starting

    /// The folder holding the test binary, where SwiftPM also puts the executables it built
    /// (`.build/debug` or `.build/release`).
    static let buildDirectory: String = {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        precondition(length > 0, "cannot read /proc/self/exe")
        let executable = String(decoding: path[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.startIndex)])
    }()

    private static func makeOutputFile(for executable: String) throws -> Int32 {
        // O_EXCL with a random name, because mkostemp (which would take O_CLOEXEC) is a GNU
        // extension Swift's Glibc module does not declare, and mkstemp + fcntl leaves a window
        // in which a parallel test's spawn could inherit the descriptor.
        let path = "/tmp/\(executable)-output-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemCallError("open(2) of \(path)", code: errno) }
        unlink(path)  // the descriptors keep the file alive; nothing is left behind in /tmp
        return fd
    }

    private static func spawn(_ path: String, arguments: [String], output: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, output, STDERR_FILENO)
        closeInheritedDescriptors(&actions)

        // The test process may ignore SIGPIPE or block signals on this thread; the server must
        // start with the defaults, as it would from a shell.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result = (argv + [nil]).withUnsafeBufferPointer { argv in
            posix_spawn(&pid, path, &actions, &attributes, argv.baseAddress!, environ)
        }
        guard result == 0 else { throw SystemCallError("posix_spawn(3) of \(path)", code: result) }
        return pid
    }

    /// Close-on-exec already keeps the harness's own descriptors out of the server. As a second
    /// line of defence against a descriptor some other test opened without it, the child also
    /// closes everything above stderr, with glibc's (2.34+) `posix_spawn_file_actions_addclosefrom_np`.
    /// Swift's Glibc module does not declare that GNU extension, so it is looked up by name.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        // A nil handle is RTLD_DEFAULT: search the libraries already loaded.
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, STDERR_FILENO + 1)
    }

    private static func waitForPort(pid: pid_t, outputFile: Int32, executable: String, timeout: Double) throws -> UInt16 {
        let prefix = "listening on "
        let deadline = Deadline(after: timeout)
        while true {
            let output = String(decoding: readAll(outputFile), as: UTF8.self)
            if let firstLine = output.split(separator: "\n", omittingEmptySubsequences: false).first,
               output.contains("\n") {
                guard firstLine.hasPrefix(prefix), let colon = firstLine.lastIndex(of: ":"),
                      let port = UInt16(firstLine[firstLine.index(after: colon)...]), port != 0
                else {
                    // Usually an error message on the way out: say whether the server is still there.
                    var status: Int32 = 0
                    let exited = waitUntil(timeout: 1) { waitpid(pid, &status, WNOHANG) == pid }
                    let fate = exited ? "it exited with status \(decode(status))" : "it is still running"
                    throw HarnessError("\(executable)'s first line should be '\(prefix)HOST:PORT'; \(fate); output:\n\(output)")
                }
                return port
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw HarnessError("\(executable) exited (status \(decode(status))) before listening; output:\n\(output)")
            }
            if deadline.hasPassed {
                throw HarnessError("\(executable) printed no '\(prefix)' line within \(timeout) s; output:\n\(output)")
            }
            usleep(10_000)
        }
    }

    private static func readAll(_ fd: Int32) -> [UInt8] {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(contents.count)) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return contents }
            contents += chunk[..<count]
        }
    }
}

/// Starts `executable`, runs `body` with it, and kills it afterwards, pass or fail. If `body`
/// throws, the error is rethrown with what became of the server (still running, or how it
/// ended) and the end of its output: "connection reset" usually means "the server died".
func withServer<Result>(_ executable: String, arguments: [String] = [], launcher: [String] = [],
                        _ body: (ServerProcess) throws -> Result) throws -> Result {
    let server = try ServerProcess(executable, arguments: arguments, launcher: launcher)
    defer { server.kill() }
    do {
        return try body(server)
    } catch {
        throw HarnessError("\(error)\n\(server.report())")
    }
}

extension ServerProcess {
    /// `Part2Threaded (pid 123) exited with status 141 (signal 13)` or `... is still running`,
    /// then the last lines of its output.
    func report(lastLines: Int = 20) -> String {
        let state: String
        if let status = waitForExit(timeout: 1) {  // a dying server may need a moment to be reapable
            state = status > 128 ? "exited with status \(status) (signal \(status - 128))" : "exited with status \(status)"
        } else {
            state = "is still running"
        }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        return "\(executable) (pid \(pid)) \(state); last output:\n" + lines.suffix(lastLines).joined(separator: "\n")
    }
}

// MARK: - The client

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
        let socket = Socket(fd: try retryingOnInterrupt("socket(2)") {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        })
        do {
            if let receiveBufferSize { try socket.setOption(SOL_SOCKET, SO_RCVBUF, receiveBufferSize) }
            if let sendBufferSize { try socket.setOption(SOL_SOCKET, SO_SNDBUF, sendBufferSize) }
            try socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            // A blocking send that makes no progress for this long fails with EAGAIN rather than
            // hanging the whole test run on a server that has stopped reading.
            var sendTimeout = timeval(tv_sec: 30, tv_usec: 0)
            try retryingOnInterrupt("setsockopt(2)") {
                setsockopt(socket.fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
            }
            try connect(socket, to: address, timeout: timeout)
        } catch {
            socket.close()
            throw error
        }
        return TestClient(socket: socket)
    }

    /// `connect` with a time limit: start it non-blocking, wait for the socket to become writable,
    /// then read the outcome from `SO_ERROR`.
    private static func connect(_ socket: Socket, to address: SocketAddress, timeout: Double) throws {
        let flags = fcntl(socket.fd, F_GETFL)
        _ = fcntl(socket.fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(socket.fd, F_SETFL, flags) }
        if address.withSockaddr({ Glibc.connect(socket.fd, $0, $1) }) == 0 { return }
        guard errno == EINPROGRESS || errno == EINTR else { throw SystemCallError("connect(2) to \(address)", code: errno) }
        let deadline = Deadline(after: timeout)
        var pollEntry = pollfd(fd: socket.fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let ready = poll(&pollEntry, 1, deadline.millisecondsLeft)
            if ready > 0 { break }
            if ready == 0 { throw HarnessError("connect(2) to \(address) did not complete within \(timeout) s (accept queue full?)") }
            if errno != EINTR { throw SystemCallError("poll(2)", code: errno) }
        }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try retryingOnInterrupt("getsockopt(2)") { getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, &failure, &length) }
        if failure != 0 { throw SystemCallError("connect(2) to \(address)", code: failure) }
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
        let deadline = Deadline(after: timeout)
        var received: [UInt8] = []
        received.reserveCapacity(count)
        var buffer = [UInt8](repeating: 0, count: min(max(count, 1), 65_536))
        while received.count < count {
            guard try waitForInput(until: deadline) else {
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
        let deadline = Deadline(after: seconds)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while try waitForInput(until: deadline) {
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
        let deadline = Deadline(after: timeout)
        var byte: UInt8 = 0
        while true {
            guard try waitForInput(until: deadline) else {
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

    /// Waits until the socket is readable (data, end of file or an error) or `deadline` passes.
    private func waitForInput(until deadline: Deadline) throws -> Bool {
        while true {
            var pollEntry = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollEntry, 1, deadline.millisecondsLeft)
            if ready > 0 { return true }
            if ready == 0 { return false }
            if errno != EINTR { throw SystemCallError("poll(2)", code: errno) }
        }
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

// MARK: - Protocol sessions

/// The seed test vector: three chunks sent one after the other on one connection, with the
/// replies each earns. The protocol state carries across chunks.
let seedChunks: [(input: String, reply: String)] = [
    ("^abc$de^abte$f", "bcdbcuf"),
    ("xyz^123", "234"),
    ("25$^ab0000$abab", "36bc1111"),
]

extension TestClient {
    /// Connects and checks that the first byte to arrive is the greeting, `*`.
    static func connectAndGreet(port: UInt16) throws -> TestClient {
        let client = try connect(port: port)
        do {
            let first = try client.receive(exactly: 1)
            if first != [ProtocolMachine.greeting] { throw HarnessError("expected the greeting \"*\", got \(describeBytes(first))") }
        } catch {
            client.close()
            throw error
        }
        return client
    }

    /// Sends the seed chunks, waiting for each chunk's reply before sending the next.
    func runSeedVector() throws {
        for (input, reply) in seedChunks {
            try send(input)
            let got = try receive(reply)
            if got != reply { throw HarnessError("sent \"\(input)\", expected \"\(reply)\", got \"\(got)\"") }
        }
    }

    /// Proves no stray reply bytes are in flight: `$^A$` earns exactly `B` from either state
    /// (a `$` while waiting is ignored), so anything else arriving first is a byte too many.
    func expectNoStrayReplies() throws {
        try send("$^A$")
        let got = try receive(exactly: 1)
        if got != Array("B".utf8) { throw HarnessError("expected only \"B\" after \"$^A$\", got \(describeBytes(got)) first") }
    }
}

/// A seeded pseudo-random generator (SplitMix64), so a failing run can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Waiting

/// A point in time on the monotonic clock, `seconds` from now.
struct Deadline {
    private let end: ContinuousClock.Instant

    init(after seconds: Double) {
        end = .now + .seconds(seconds)
    }

    var hasPassed: Bool { ContinuousClock.now >= end }

    /// Milliseconds left, rounded up, for `poll`; 0 once the deadline has passed.
    var millisecondsLeft: Int32 {
        let left = ContinuousClock.now.duration(to: end)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, Int64(Int32.max)))
    }
}

/// Checks `condition` every 10 ms until it holds (true) or `timeout` seconds pass (false).
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Deadline(after: timeout)
    while true {
        if condition() { return true }
        if deadline.hasPassed { return false }
        usleep(10_000)
    }
}

// MARK: - Background work

/// Runs a blocking job on a pthread of its own, e.g. sending a megabyte while the test reads the
/// replies. A real thread, not a Task: Swift Testing runs tests on the small cooperative pool
/// (one thread per core), and a task waiting behind blocked test threads could never start.
// @unchecked Sendable: `failure` is written by the thread before it ends and read only after `join()`.
final class BackgroundThread: @unchecked Sendable {
    private let body: @Sendable () throws -> Void
    private var failure: (any Error)?
    private var thread = pthread_t()
    private var joined = false

    /// Starts `body` at once.
    init(_ body: @escaping @Sendable () throws -> Void) throws {
        self.body = body
        let argument = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { argument in
            // Captures nothing, so Swift can pass it as a C function pointer.
            let job = Unmanaged<BackgroundThread>.fromOpaque(argument!).takeRetainedValue()
            do { try job.body() } catch { job.failure = error }
            return nil
        }, argument)
        if result != 0 {
            Unmanaged<BackgroundThread>.fromOpaque(argument).release()
            throw SystemCallError("pthread_create(3)", code: result)
        }
    }

    /// Waits for the job to finish and rethrows the error it threw, if any. Call it exactly once.
    func join() throws {
        precondition(!joined, "join() called twice")
        joined = true
        pthread_join(thread, nil)
        if let failure { throw failure }
    }
}
