// Client: the client simulator every chapter runs against its server.
//
// It starts N clients at once, each on its own thread, and each plays the original series'
// session: connect, wait for `*`, send three chunks a second apart and check every reply. The
// log shows who is served when; `--timeline` draws it. It exits 0 only if every client got
// exactly the bytes the protocol predicts, so it doubles as a quick check of a new server.

import ArgumentParser
import Glibc
import ServerCore

struct ClientSimulator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Client",
        abstract: "Runs N simulated clients against a server at once and checks every reply.",
        discussion: """
            Each client connects, waits for the greeting "*", then sends "^abc$de^abte$f", \
            "xyz^123" and "25$^ab0000$abab", --interval seconds apart, and checks each reply. \
            Start a server first, e.g. `swift run Part1Sequential`.
            """)

    @Option(help: "Server address.")
    var host = "127.0.0.1"

    @Option(help: "Server port.")
    var port: UInt16 = 9090

    @Option(name: .short, help: "Number of clients, all started at once.")
    var n = 1

    @Option(help: "Seconds between one chunk and the next.")
    var interval = 1.0

    @Option(help: "Seconds each client stays connected and silent after its greeting, before it starts talking (for measuring what an idle client costs a server).")
    var hold = 0.0

    @Option(help: "Longest wait, in seconds, for the connection, the greeting or any one reply.")
    var timeout = 30.0

    @Option(help: "Write an SVG chart of the run to this file.")
    var timeline: String?

    @Option(help: "The chart's title. Default: \"N clients against HOST:PORT\".")
    var title: String?

    func validate() throws {
        guard n >= 1 else { throw ValidationError("-n must be at least 1.") }
        guard interval >= 0 else { throw ValidationError("--interval must not be negative.") }
        guard hold >= 0 else { throw ValidationError("--hold must not be negative.") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive.") }
    }

    func run() throws {
        // A write to a server that has gone away must fail with EPIPE (and be reported), not
        // kill the simulator with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        // Every client's times count from this one moment, so all rows share one time axis.
        let origin = MonotonicClock.now()
        let threads = try (1...n).map { index in
            let client = SimulatedClient(
                name: "conn\(index)", host: host, port: port, script: .seed,
                interval: interval, timeout: timeout, origin: origin, hold: hold)
            return try JoinableThread { client.run() }
        }
        let outcomes = threads.map { $0.join() }

        let failures = outcomes.compactMap { outcome -> ClientFailure? in
            if case let .failure(failure) = outcome { return failure }
            return nil
        }
        guard failures.isEmpty else {
            if timeline != nil { Log.plain("no timeline written: not every client was served") }
            throw RunFailure(failed: failures.count, of: n, first: failures[0])
        }
        if let timeline {
            try writeTimeline(to: timeline, outcomes: outcomes)
        }
        Log.plain(n == 1 ? "1 client served correctly" : "\(n) clients served correctly")
    }

    private func writeTimeline(to path: String, outcomes: [Result<SessionTimes, ClientFailure>]) throws {
        let rows = outcomes.enumerated().compactMap { index, outcome -> Timeline.Row? in
            guard case let .success(times) = outcome else { return nil }
            return Timeline.Row(label: "conn\(index + 1)", times: times)
        }
        let chart = Timeline(
            title: title ?? "\(n) client\(n == 1 ? "" : "s") against \(host):\(port)", rows: rows)
        try write(chart.svg(), to: path)
        Log.plain("timeline written to \(path)")
    }

    /// Writes `text` to the file at `path`, replacing it.
    private func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else { throw SystemCallError("fopen(3) \(path)", code: errno) }
        let written = fputs(text, file) >= 0
        let closed = fclose(file) == 0  // flushes: a full disk shows up here
        guard written && closed else { throw SystemCallError("writing \(path)", code: errno) }
    }
}

/// The run's outcome when any client failed; ArgumentParser prints it and exits with status 1.
struct RunFailure: Error, CustomStringConvertible {
    let failed: Int
    let of: Int
    let first: ClientFailure

    var description: String {
        failed == 1 && of == 1 ? "\(first)" : "\(failed) of \(of) clients failed. \(first)"
    }
}

ClientSimulator.main()
