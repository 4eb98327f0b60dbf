// ServerProcess: a server executable started in a child process, on a port the kernel chose.
//
// Every conformance and behaviour test drives servers through it, and so does `Bench compare`.
// It starts the executable with `--port 0`, learns the port from the server's first line of
// output (`listening on HOST:PORT`: every server prints it first), and ends the process when the
// caller is done: `stop()` asks politely (SIGTERM, which every server answers with a graceful
// shutdown) and insists after a grace period (SIGKILL); `kill()` does not ask.
//
// The server's output goes to a file, never a pipe: a server logs a line per connect and
// disconnect, and a pipe nobody drained would fill up and stall the very server being tested or
// measured. Tests run in parallel in one process, so every descriptor the harness opens is
// close-on-exec: a client socket inherited by another test's server would keep that connection
// open after the client closes it, and the server it belongs to would never see the client leave.

import Glibc
import ServerCore
import Synchronization

/// A server executable running in a child process, listening on a port the kernel chose.
///
/// The process is killed when this object is deinitialised, but Swift may end an object's
/// lifetime right after its last use, so a test should also say `defer { server.kill() }`, or
/// use `withServer(_:arguments:_:)`, which does that and reports the server's fate on failure.
public final class ServerProcess: Sendable {
    /// The executable's name, e.g. `Part2Threaded`.
    public let executable: String
    /// The server's process id.
    public let pid: pid_t
    /// The TCP port the server listens on (from its `listening on 127.0.0.1:PORT` line).
    public let port: UInt16

    /// The server's stdout and stderr go to this file rather than a pipe, so a chatty server
    /// never blocks on a pipe nobody is reading.
    private let outputFile: Int32
    /// Set once the process has been reaped: the exit code, or 128 + the signal that killed it.
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable`, built next to the running binary (SwiftPM puts every executable of
    /// the package in one folder), as `ServerProcess(path:...)` does.
    public convenience init(_ executable: String, arguments: [String] = [], launcher: [String] = [], startupTimeout: Double = 10) throws {
        try self.init(path: Self.buildDirectory + "/" + executable, arguments: arguments, launcher: launcher, startupTimeout: startupTimeout)
    }

    /// Starts the executable at `path` with `arguments` and `--port 0`, and waits up to
    /// `startupTimeout` seconds for it to say which port it listens on. A `launcher` runs first
    /// and execs the server, e.g. `["/usr/bin/prlimit", "--as=100000000", "--"]` to start it
    /// under a resource limit; the pid is then the server's own. The output goes to
    /// `outputPath` if given (kept after the process ends), else to an unlinked temporary file.
    public init(path: String, name: String? = nil, arguments: [String] = [], launcher: [String] = [],
                outputPath: String? = nil, startupTimeout: Double = 10) throws {
        signal(SIGPIPE, SIG_IGN)  // writing to a server that has gone must fail, not kill the caller
        let executable = name ?? String(path[(path.lastIndex(of: "/").map(path.index(after:)) ?? path.startIndex)...])
        self.executable = executable
        guard access(path, X_OK) == 0 else {
            throw HarnessError("no executable at \(path); is \(executable) a dependency of the test target?")
        }
        outputFile = try Self.makeOutputFile(for: executable, at: outputPath)
        do {
            let command = launcher + [path] + arguments + ["--port", "0"]
            pid = try Self.spawn(command[0], arguments: Array(command.dropFirst()), output: outputFile)
        } catch {
            Glibc.close(outputFile)
            throw error
        }
        do {
            port = try Self.waitForPort(pid: pid, outputFile: outputFile, executable: executable, timeout: startupTimeout)
        } catch {
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            Glibc.close(outputFile)
            throw error
        }
    }

    deinit {
        kill()
        Glibc.close(outputFile)
    }

    /// Everything the server has printed so far, stdout and stderr interleaved as written.
    public var output: String {
        String(decoding: Self.readAll(outputFile), as: UTF8.self)
    }

    /// Whether the process is still alive (it has not exited and has not been killed).
    public var isRunning: Bool {
        reap() == nil
    }

    /// The server's /proc readings: memory, threads, CPU time, descriptors.
    public var sampler: ProcSampler { ProcSampler(pid: pid) }

    /// The number of descriptors the server has open, or -1 if the process is gone.
    public func openDescriptorCount() -> Int {
        sampler.openDescriptorCount()
    }

    /// Sends `signal` (e.g. `SIGINT`) to the server.
    public func send(signal: Int32) {
        _ = Glibc.kill(pid, signal)
    }

    /// Waits up to `timeout` seconds for the server to exit. Returns its exit code (128 + the
    /// signal number if a signal ended it), or nil if it is still running.
    public func waitForExit(timeout: Double) -> Int32? {
        let deadline = Deadline(secondsFromNow: timeout)
        while true {
            if let status = reap() { return status }
            if deadline.hasPassed { return nil }
            usleep(10_000)
        }
    }

    /// Waits up to `timeout` seconds for `text` to appear in the server's output.
    public func waitForOutput(containing text: String, timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { output.contains(text) }
    }

    /// Asks the server to stop (SIGTERM: a graceful shutdown), insists after `grace` seconds
    /// (SIGKILL), and reaps it. Returns its exit status, as `waitForExit` does.
    @discardableResult
    public func stop(grace: Double = 5) -> Int32 {
        if let status = reap() { return status }
        send(signal: SIGTERM)
        if let status = waitForExit(timeout: grace) { return status }
        return kill()
    }

    /// Kills the server with SIGKILL and reaps it. Safe to call any number of times, and after
    /// the server has exited on its own. Returns its exit status.
    @discardableResult
    public func kill() -> Int32 {
        exitStatus.withLock { exitStatus in
            if let exitStatus { return exitStatus }
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let decoded = Self.decode(status)
            exitStatus = decoded
            return decoded
        }
    }

    /// Reaps the process if it has exited; returns its exit status, or nil if it is still running.
    private func reap() -> Int32? {
        exitStatus.withLock { exitStatus in
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            var result: pid_t
            repeat {
                result = waitpid(pid, &status, WNOHANG)
            } while result == -1 && errno == EINTR
            guard result == pid else { return nil }
            exitStatus = Self.decode(status)
            return exitStatus
        }
    }

    /// `WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` are C macros Swift does not import; this is what they do.
    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    // MARK: Starting

    /// The folder holding the running binary (a test binary or Bench), where SwiftPM also puts
    /// the executables it built (`.build/debug` or `.build/release`).
    public static let buildDirectory: String = {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        precondition(length > 0, "cannot read /proc/self/exe")
        let executable = String(decoding: path[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.startIndex)])
    }()

    private static func makeOutputFile(for executable: String, at outputPath: String?) throws -> Int32 {
        if let outputPath {
            let fd = open(outputPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SystemCallError("open(2) of \(outputPath)", code: errno) }
            return fd
        }
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
        let deadline = Deadline(secondsFromNow: timeout)
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
public func withServer<Result>(_ executable: String, arguments: [String] = [], launcher: [String] = [],
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
    public func report(lastLines: Int = 20) -> String {
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
