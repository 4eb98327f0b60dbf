// LoadCommand: `Bench load` — point the verifying load generator at a running server.
//
//     swift run -c release Bench load --port 9090 --clients 1000 --duration 10
//
// Prints a progress line each second and the report at the end; exits non-zero if anything
// went wrong, so a script (or `Bench compare`) cannot mistake a broken run for a fast one.

import ArgumentParser
import Harness
import ServerCore

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive a server with many closed-loop clients and verify every reply byte.",
        discussion: """
            Opens --clients connections in ramped batches, waits until every one has its greeting, \
            then measures for --duration seconds: each client sends '^' + --message-bytes payload \
            bytes + '$' and waits for the full reply before sending again. Exits 1 on any error.
            """)

    @Option(help: "Server address.")
    var host = "127.0.0.1"

    @Option(help: "Server port.")
    var port: UInt16 = 9090

    @Option(help: "Concurrent connections (closed-loop clients).")
    var clients = 100

    @Option(help: "Seconds to measure (or, with --idle, to hold the connections), after every client is greeted.")
    var duration = 5.0

    @Option(help: "Payload bytes per message, between '^' and '$'.")
    var messageBytes = 64

    @Flag(help: "Open the connections, read the greetings, then send nothing (for memory per idle connection).")
    var idle = false

    @Option(help: "Seconds a connect, a greeting or a whole reply may take before it counts as an error.")
    var timeout = 5.0

    @Option(help: "Most connections being opened at once (connecting or awaiting the greeting).")
    var rampBatch = 100

    func validate() throws {
        guard clients >= 1 else { throw ValidationError("--clients must be at least 1.") }
        guard duration > 0 else { throw ValidationError("--duration must be positive.") }
        guard messageBytes >= 1 else { throw ValidationError("--message-bytes must be at least 1.") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive.") }
        guard rampBatch >= 1 else { throw ValidationError("--ramp-batch must be at least 1.") }
    }

    var loadConfiguration: LoadConfiguration {
        LoadConfiguration(
            host: host, port: port, clients: clients, duration: duration, messageBytes: messageBytes,
            idle: idle, timeout: timeout, rampBatch: rampBatch)
    }

    func run() throws {
        let limit = raiseDescriptorLimitToHardLimit()
        if clients + 16 > limit {
            Log.plain("warning: \(clients) clients need more descriptors than the limit of \(limit); expect connect errors")
        }
        let mode = idle ? "idle connections" : "clients, \(messageBytes)-byte messages"
        Log.plain("Bench load: \(Units.count(clients)) \(mode), \(Units.decimal(duration)) s, against \(host):\(port)")
        let report = try LoadGenerator(loadConfiguration).run(hooks: LoadHooks(tick: { Log.plain($0.line) }))
        for line in report.lines { Log.plain(line) }
        if !report.succeeded { throw ExitCode.failure }
    }
}
