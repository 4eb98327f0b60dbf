// ChildProcess: an executable started in a child process, its output kept, its end reported.
//
// What the harness's launchers have in common: ServerProcess (a server on a port), the runtime
// tests' probes (a process expected to crash) and Bench re-running itself. The child starts as
// from a shell: stdin from /dev/null, no signals blocked, SIGPIPE, SIGINT, SIGTERM, SIGHUP and
// SIGQUIT at their default actions, and none of this process's descriptors but stdout and stderr,
// which go to a file — never a pipe: a chatty child would block on a pipe nobody drained.

import Glibc
import ServerCore
import Synchronization

/// How a child process ended.
public struct Termination: Sendable, Equatable {
    /// The exit code, or nil if a signal ended it.
    public let exitCode: Int32?
    /// The signal that ended it, if one did.
    public let signal: Int32?

    /// The shell's number: the exit code, or 128 + the signal.
    public var status: Int32 { signal.map { 128 + $0 } ?? exitCode ?? 0 }

    /// `WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` are C macros Swift does not import; this is what they do.
    init(waitStatus status: Int32) {
        let signal = status & 0x7F
        exitCode = signal == 0 ? (status >> 8) & 0xFF : nil
        self.signal = signal == 0 ? nil : signal
    }
}

public final class ChildProcess: Sendable {
    /// A name for messages, e.g. `Part2Threaded`.
    public let name: String
    /// The child's process id.
    public let pid: pid_t
    private let outputFile: Int32
    /// Set once the process has been reaped.
    private let termination = Mutex<Termination?>(nil)

    /// Starts the executable at `path` with `arguments`; `environment` entries (`NAME=value`)
    /// are added to this process's. Output goes to `outputPath` if given (kept after the process
    /// ends), else to an unlinked temporary file.
    public init(path: String, name: String? = nil, arguments: [String] = [], environment: [String] = [],
                outputPath: String? = nil) throws {
        let name = name ?? String(path[(path.lastIndex(of: "/").map(path.index(after:)) ?? path.startIndex)...])
        self.name = name
        guard access(path, X_OK) == 0 else {
            throw HarnessError("no executable at \(path); is \(name) a dependency of the test target?")
        }
        outputFile = try Self.makeOutputFile(for: name, at: outputPath)
        do {
            pid = try Self.spawn(path, arguments: arguments, environment: environment, output: outputFile)
        } catch {
            Glibc.close(outputFile)
            throw error
        }
    }

    deinit {
        kill()
        Glibc.close(outputFile)
    }

    /// Everything the child has printed so far, stdout and stderr interleaved as written.
    public var output: String {
        String(decoding: Self.readAll(outputFile), as: UTF8.self)
    }

    /// Whether the process is still alive (it has not exited and has not been killed).
    public var isRunning: Bool {
        reap() == nil
    }

    /// Sends `signal` (e.g. `SIGINT`) to the child.
    public func send(signal: Int32) {
        _ = Glibc.kill(pid, signal)
    }

    /// Waits up to `timeout` seconds for the child to exit; nil if it is still running.
    public func waitForExit(timeout: Double) -> Termination? {
        let deadline = Deadline(secondsFromNow: timeout)
        while true {
            if let ended = reap() { return ended }
            if deadline.hasPassed { return nil }
            usleep(10_000)
        }
    }

    /// Asks the child to stop (SIGTERM), insists after `grace` seconds (SIGKILL), and reaps it.
    @discardableResult
    public func stop(grace: Double = 5) -> Termination {
        if let ended = reap() { return ended }
        send(signal: SIGTERM)
        if let ended = waitForExit(timeout: grace) { return ended }
        return kill()
    }

    /// Kills the child with SIGKILL and reaps it. Safe to call any number of times, and after
    /// the child has exited on its own.
    @discardableResult
    public func kill() -> Termination {
        termination.withLock { termination in
            if let termination { return termination }
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let ended = Termination(waitStatus: status)
            termination = ended
            return ended
        }
    }

    /// Reaps the process if it has exited; nil if it is still running.
    private func reap() -> Termination? {
        termination.withLock { termination in
            if let termination { return termination }
            var status: Int32 = 0
            var result: pid_t
            repeat {
                result = waitpid(pid, &status, WNOHANG)
            } while result == -1 && errno == EINTR
            guard result == pid else { return nil }
            termination = Termination(waitStatus: status)
            return termination
        }
    }

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

    private static func spawn(_ path: String, arguments: [String], environment: [String], output: Int32) throws -> pid_t {
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
        // The caller's extra variables come first, so they win over inherited ones of the same name.
        var inherited: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            inherited.append(String(cString: entry))
            cursor += 1
        }
        let envp = (environment + inherited).map { strdup($0) }
        defer { envp.forEach { free($0) } }
        var pid = pid_t()
        let result = (argv + [nil]).withUnsafeBufferPointer { argv in
            (envp + [nil]).withUnsafeBufferPointer { envp in
                posix_spawn(&pid, path, &actions, &attributes, argv.baseAddress!, envp.baseAddress!)
            }
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

    static func readAll(_ fd: Int32) -> [UInt8] {
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
