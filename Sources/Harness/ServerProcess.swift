// ServerProcess: a server executable started in a child process, on a port the kernel chose.
//
// Every conformance and behaviour test drives servers through it, and so does `Bench compare`.
// It starts the executable with `--port 0`, learns the port from the server's first line of
// output (`listening on HOST:PORT`: every server prints it first), and ends the process when the
// caller is done: `stop()` asks politely (SIGTERM, which every server answers with a graceful
// shutdown) and insists after a grace period (SIGKILL); `kill()` does not ask.
//
// The process itself is a ChildProcess: output in a file, never a pipe (a server logs a line per
// connect and disconnect, and a pipe nobody drained would stall the very server being tested or
// measured), and none of the caller's descriptors. Tests run in parallel in one process, so every
// descriptor the harness opens is close-on-exec too: a client socket inherited by another test's
// server would keep that connection open after the client closes it, and the server it belongs
// to would never see the client leave.

import Glibc
import ServerCore

/// A server executable running in a child process, listening on a port the kernel chose.
///
/// The process is killed when this object is deinitialised, but Swift may end an object's
/// lifetime right after its last use, so a test should also say `defer { server.kill() }`, or
/// use `withServer(_:arguments:_:)`, which does that and reports the server's fate on failure.
public final class ServerProcess: Sendable {
    /// The process the server runs in.
    public let process: ChildProcess
    /// The TCP port the server listens on (from its `listening on 127.0.0.1:PORT` line).
    public let port: UInt16

    /// The executable's name, e.g. `Part2Threaded`.
    public var executable: String { process.name }
    /// The server's process id.
    public var pid: pid_t { process.pid }

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
        let name = name ?? String(path[(path.lastIndex(of: "/").map(path.index(after:)) ?? path.startIndex)...])
        guard access(path, X_OK) == 0 else {
            throw HarnessError("no executable at \(path); is \(name) a dependency of the test target?")
        }
        let command = launcher + [path] + arguments + ["--port", "0"]
        process = try ChildProcess(path: command[0], name: name, arguments: Array(command.dropFirst()), outputPath: outputPath)
        do {
            port = try Self.waitForPort(of: process, timeout: startupTimeout)
        } catch {
            process.kill()
            throw error
        }
    }

    /// The folder holding the running binary (a test binary or Bench), where SwiftPM also puts
    /// the executables it built (`.build/debug` or `.build/release`).
    public static var buildDirectory: String { ChildProcess.buildDirectory }

    /// Everything the server has printed so far, stdout and stderr interleaved as written.
    public var output: String { process.output }

    /// Whether the process is still alive (it has not exited and has not been killed).
    public var isRunning: Bool { process.isRunning }

    /// The server's /proc readings: memory, threads, CPU time, descriptors.
    public var sampler: ProcSampler { ProcSampler(pid: pid) }

    /// The number of descriptors the server has open, or -1 if the process is gone.
    public func openDescriptorCount() -> Int {
        sampler.openDescriptorCount()
    }

    /// Sends `signal` (e.g. `SIGINT`) to the server.
    public func send(signal: Int32) {
        process.send(signal: signal)
    }

    /// Waits up to `timeout` seconds for the server to exit. Returns its exit code (128 + the
    /// signal number if a signal ended it), or nil if it is still running.
    public func waitForExit(timeout: Double) -> Int32? {
        process.waitForExit(timeout: timeout)?.status
    }

    /// Waits up to `timeout` seconds for `text` to appear in the server's output.
    public func waitForOutput(containing text: String, timeout: Double) -> Bool {
        waitUntil(timeout: timeout) { output.contains(text) }
    }

    /// Asks the server to stop (SIGTERM: a graceful shutdown), insists after `grace` seconds
    /// (SIGKILL), and reaps it. Returns its exit status, as `waitForExit` does.
    @discardableResult
    public func stop(grace: Double = 5) -> Int32 {
        process.stop(grace: grace).status
    }

    /// Kills the server with SIGKILL and reaps it. Safe to call any number of times, and after
    /// the server has exited on its own. Returns its exit status.
    @discardableResult
    public func kill() -> Int32 {
        process.kill().status
    }

    private static func waitForPort(of process: ChildProcess, timeout: Double) throws -> UInt16 {
        let prefix = "listening on "
        let deadline = Deadline(secondsFromNow: timeout)
        while true {
            let output = process.output
            if let firstLine = output.split(separator: "\n", omittingEmptySubsequences: false).first,
               output.contains("\n") {
                guard firstLine.hasPrefix(prefix), let colon = firstLine.lastIndex(of: ":"),
                      let port = UInt16(firstLine[firstLine.index(after: colon)...]), port != 0
                else {
                    // Usually an error message on the way out: say whether the server is still there.
                    let fate = process.waitForExit(timeout: 1).map { "it exited with status \($0.status)" } ?? "it is still running"
                    throw HarnessError("\(process.name)'s first line should be '\(prefix)HOST:PORT'; \(fate); output:\n\(output)")
                }
                return port
            }
            if let ended = process.waitForExit(timeout: 0) {
                throw HarnessError("\(process.name) exited (status \(ended.status)) before listening; output:\n\(output)")
            }
            if deadline.hasPassed {
                throw HarnessError("\(process.name) printed no '\(prefix)' line within \(timeout) s; output:\n\(output)")
            }
            usleep(10_000)
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
