// ServerRunner: starting one server executable for a measurement, and stopping it after.
//
// Each server is started as a child process with `--port 0`, so runs never collide on a port,
// and its standard output goes to a log file: a server logs a line per connect and disconnect,
// and a pipe nobody drained would fill up and stall the very server being measured. The first
// line of the log is `listening on HOST:PORT` (every server prints it first), which is how the
// runner learns the port. Stopping sends SIGTERM (the servers shut down gracefully), then
// SIGKILL if the server is still there a few seconds later.

import Glibc
import ServerCore

/// A server could not be started, or did not say where it listens.
struct ServerStartError: Error, CustomStringConvertible {
    let description: String
}

final class ServerRunner {
    let name: String
    let pid: pid_t
    let port: UInt16
    let logPath: String
    private var exited = false

    /// Starts `executable` with `arguments` plus `--port 0` and waits (up to `startTimeout`
    /// seconds) for its `listening on` line.
    init(name: String, executable: String, arguments: [String], logPath: String, startTimeout: Double = 10) throws {
        self.name = name
        self.logPath = logPath
        let argv = [executable] + arguments + ["--port", "0"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
        // A child inherits its parent's blocked signals and ignored ones; a test runner or a
        // shell may block SIGTERM, and Bench ignores SIGPIPE. The server gets a clean slate.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var child = pid_t()
        let result = posix_spawn(&child, executable, &actions, &attributes, &cArguments, environ)
        guard result == 0 else { throw SystemCallError("posix_spawn(3) \(executable)", code: result) }
        pid = child

        let deadline = MonotonicClock.nanosecondsNow() + MonotonicClock.nanoseconds(startTimeout)
        var found: UInt16?
        while found == nil {
            let log = (try? ProcFile.read(logPath)) ?? ""
            if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
               let colon = line.lastIndex(of: ":"), let port = UInt16(line[line.index(after: colon)...]) {
                found = port
                break
            }
            var status: Int32 = 0
            if waitpid(child, &status, WNOHANG) == child {
                exited = true
                throw ServerStartError(description: "\(name) exited before listening; its output:\n\(log)")
            }
            if MonotonicClock.nanosecondsNow() > deadline {
                kill(child, SIGKILL)
                _ = waitpid(child, &status, 0)
                exited = true
                throw ServerStartError(description: "\(name) printed no 'listening on' line within \(startTimeout) s")
            }
            usleep(10_000)
        }
        port = found!
    }

    deinit { stop() }

    /// The server's /proc readings.
    var sampler: ProcSampler { ProcSampler(pid: pid) }

    /// Asks the server to stop (SIGTERM), insists after `grace` seconds (SIGKILL), and reaps it.
    func stop(grace: Double = 5) {
        guard !exited else { return }
        exited = true
        kill(pid, SIGTERM)
        let deadline = MonotonicClock.nanosecondsNow() + MonotonicClock.nanoseconds(grace)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if MonotonicClock.nanosecondsNow() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return
            }
            usleep(10_000)
        }
    }
}
