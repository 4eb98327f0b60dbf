// CompareCommand: `Bench compare` — every server, the same loads, one run, side by side.
//
//     swift build -c release && swift run -c release Bench compare
//
// Measuring the servers in one run, interleaved (for each load, each server in turn), means they
// share the machine's mood: a noisy neighbour or a CPU slowed by heat touches them all alike, so
// the comparison holds even where the absolute figures drift. For each load the server is
// started fresh on port 0, the load generator runs in this process, and the server's RSS,
// threads and CPU time are read from /proc/PID meanwhile. Then each server holds idle
// connections, for memory per connection. Results go to Chapters/data (CSV) and
// Chapters/images (SVG), and a plain table is printed at the end.

import ArgumentParser
import Foundation
import Glibc
import Harness
import ServerCore

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run every server under the same loads, side by side; write CSV files and SVG charts.")

    @Option(help: ArgumentHelp(
        "Comma-separated server executables to measure. Default: those of Part1Sequential … Part5StateThreads, AsyncAwaitServer and SwiftNIOServer present next to Bench.",
        discussion: "An entry may carry arguments, which makes it a variant measured as a server of its own: 'Part4Epoll,Part4Epoll --loops 2'."))
    var servers: String?

    @Option(help: "Folder holding the server executables. Default: the folder of this Bench executable.")
    var buildFolder: String?

    @Option(name: .customLong("arguments"), help: ArgumentHelp(
        "Arguments for one server, as NAME=ARGS (repeatable), in place of its defaults (Part3Pool: --threads {clients}); {clients} becomes the run's client count.",
        valueName: "name=args"))
    var serverArguments: [String] = []

    @Option(help: "Comma-separated numbers of concurrent closed-loop clients.")
    var clients = "1,10,100,1000"

    @Option(help: "Comma-separated numbers of idle connections for memory per connection.")
    var idleConnections = "1000,10000"

    @Option(help: "Seconds of measurement per server and load.")
    var duration = 5.0

    @Option(name: .customLong("repeat"), help: "Rounds of load runs; each figure is from the round with the median throughput.")
    var repeatRuns = 1

    @Option(help: "Seconds to hold the idle connections.")
    var idleDuration = 2.0

    @Option(help: "Payload bytes per message.")
    var messageBytes = 64

    @Option(help: ArgumentHelp(
        "Comma-separated microseconds of CPU work per message, passed to every server as --work (Chapter 8).",
        discussion: "With more than one value the comparison measures throughput and latency against work per message (CSV and charts named PREFIX-work-*) and holds no idle connections."))
    var work = "0"

    @Option(help: "Passed to every server as --work-every: only one message in N of each connection costs the work.")
    var workEvery = 1

    @Option(help: "Seconds a connect, greeting or reply may take before it counts as an error.")
    var timeout = 5.0

    @Option(help: "Where the CSV files go.")
    var dataFolder = "Chapters/data"

    @Option(help: "Where the SVG charts go.")
    var imagesFolder = "Chapters/images"

    @Option(help: "Prefix of the files written, e.g. compare-load.csv, compare-throughput.svg.")
    var prefix = "compare"

    func validate() throws {
        guard (try? numbers(clients)) != nil, (try? numbers(idleConnections)) != nil else {
            throw ValidationError("--clients and --idle-connections take comma-separated positive numbers.")
        }
        guard duration > 0, idleDuration > 0 else { throw ValidationError("durations must be positive.") }
        guard repeatRuns >= 1 else { throw ValidationError("--repeat must be at least 1.") }
        guard (try? workValues()) != nil else { throw ValidationError("--work takes comma-separated microseconds (0 or more).") }
        guard workEvery >= 1 else { throw ValidationError("--work-every must be at least 1.") }
        for entry in serverArguments where !entry.contains("=") {
            throw ValidationError("--arguments takes NAME=ARGS, got '\(entry)'.")
        }
    }

    func run() throws {
        raiseDescriptorLimitToHardLimit()  // the servers inherit it: 10,000 connections need 10,000 descriptors
        let folder = buildFolder ?? ServerUnderTest.benchFolder
        let lineup = try serversToMeasure(in: folder)
        let machine = MachineDescription.current()
        if (folder as NSString).lastPathComponent == "debug" {
            Log.plain("warning: these are debug builds; measure with `swift build -c release && swift run -c release Bench compare`")
        }
        Log.plain("Bench compare: \(lineup.map(\.label).joined(separator: ", "))")
        Log.plain(machine.line)

        let logFolder = NSTemporaryDirectory() + "bench-compare-\(getpid())"
        try FileManager.default.createDirectory(atPath: logFolder, withIntermediateDirectories: true)
        var load: [LoadMeasurement]
        // Rounds outermost: each round measures every server at every load, so a disturbance
        // that lasts a minute spoils one round, not one server.
        var rounds: [[LoadMeasurement]] = []
        let works = try workValues()
        // One calibration for every server: each calibrating for itself on a busy machine would
        // give them different amounts of work for the same --work.
        let calibration = works.contains { $0 > 0 } ? CPUWork.calibrate() : 0
        if calibration > 0 { Log.plain("work calibration: \(Units.decimal(calibration)) hash rounds per µs, passed to every server") }
        for round in 1...repeatRuns {
            if repeatRuns > 1 { Log.plain("-- round \(round) of \(repeatRuns)") }
            var measured: [LoadMeasurement] = []
            for work in works {
                for count in try numbers(clients) {
                    for server in lineup {
                        measured.append(try measureLoad(server, clients: count, work: work, calibration: calibration, logFolder: logFolder))
                    }
                }
            }
            rounds.append(measured)
        }
        load = LoadMeasurement.medians(of: rounds)
        if works.count > 1 {
            try reportWorkSweep(load, servers: lineup, machine: machine, logFolder: logFolder)
            return
        }
        var idle: [IdleMeasurement] = []
        for count in try numbers(idleConnections) {
            for server in lineup {
                idle.append(try measureIdle(server, connections: count, calibration: calibration, logFolder: logFolder))
            }
        }

        let figures = ComparisonFigures(
            load: load, idle: idle, machine: machine, command: reproduceCommand, messageBytes: messageBytes,
            duration: duration, rounds: repeatRuns, servers: lineup)
        try writeFiles(figures)
        Log.plain("")
        Log.plain("closed-loop load, \(messageBytes)-byte messages, \(Units.decimal(duration)) s per run\(repeatRuns > 1 ? ", median of \(repeatRuns) rounds" : "") (server RSS/threads: peak; CPU: % of one core, server and Bench)")
        figures.loadTable.forEach(Log.plain)
        Log.plain("")
        Log.plain("idle connections, held \(Units.decimal(idleDuration)) s")
        figures.idleTable.forEach(Log.plain)
        if !figures.skippedNotes.isEmpty {
            Log.plain("")
            figures.skippedNotes.forEach { Log.plain("not run: \($0)") }
        }

        let errors = load.reduce(0) { $0 + $1.errors } + idle.reduce(0) { $0 + $1.errors }
        if errors > 0 {
            Log.plain("\(Units.count(errors)) errors; the servers' logs are in \(logFolder)")
            throw ExitCode.failure
        }
        try? FileManager.default.removeItem(atPath: logFolder)
    }

    // MARK: Experiments

    private func measureLoad(
        _ server: ServerUnderTest, clients count: Int, work: Int, calibration: Double, logFolder: String
    ) throws -> LoadMeasurement {
        var row = LoadMeasurement(server: server.name, clients: count, work: work)
        if let limit = server.maxClients, count > limit {
            row.skipped = server.limitNote
            return row
        }
        Log.plain("== \(server.label), \(Units.count(count)) clients\(work > 0 ? ", \(work) µs of work per message" : "")")
        let logPath = "\(logFolder)/\(fileName(server))-\(count)-clients-\(work)-us.log"
        guard let runner = start(server, clients: count, work: work, calibration: calibration, logPath: logPath) else {
            row.skipped = "did not start"
            row.errors = 1
            return row
        }
        defer { runner.stop() }
        var configuration = loadConfiguration(port: runner.port)
        configuration.clients = count
        let sampler = runner.sampler
        var cpuAtStart = 0.0
        var peak = ProcessSample(residentBytes: 0, threads: 0, cpuSeconds: 0)
        func samplePeak() -> ProcessSample? {
            guard let sample = try? sampler.sample() else { return nil }
            peak.residentBytes = max(peak.residentBytes, sample.residentBytes)
            peak.threads = max(peak.threads, sample.threads)
            return sample
        }
        var cpuAtEnd = 0.0
        let hooks = LoadHooks(
            phaseStarted: { phase in
                if phase == .measuring { cpuAtStart = samplePeak()?.cpuSeconds ?? 0 }
            },
            tick: { progress in
                _ = samplePeak()
                Log.plain(progress.line)
            },
            measurementEnded: { cpuAtEnd = samplePeak()?.cpuSeconds ?? 0 })
        let report = try LoadGenerator(configuration).run(hooks: hooks)
        row.messages = report.messages
        row.messagesPerSecond = report.messagesPerSecond
        row.p50 = report.latency(atPercentile: 50)
        row.p90 = report.latency(atPercentile: 90)
        row.p99 = report.latency(atPercentile: 99)
        row.max = report.maxLatency
        row.errors = report.totalErrors
        row.errorSummary = report.succeeded ? "" : report.errorLine
        row.peakResidentBytes = peak.residentBytes
        row.peakThreads = peak.threads
        row.cpuPercent = report.measuredSeconds > 0 ? (cpuAtEnd - cpuAtStart) / report.measuredSeconds * 100 : 0
        row.generatorCPUPercent = report.generatorCPUPercent
        Log.plain("   \(Units.count(Int(report.messagesPerSecond.rounded()))) msgs/s, p99 \(Units.duration(nanoseconds: Double(row.p99))), \(report.errorLine)")
        if !report.succeeded { report.lines.filter { $0.hasPrefix("  error") }.prefix(5).forEach(Log.plain) }
        return row
    }

    private func measureIdle(
        _ server: ServerUnderTest, connections count: Int, calibration: Double, logFolder: String
    ) throws -> IdleMeasurement {
        var row = IdleMeasurement(server: server.name, connections: count)
        if let limit = server.maxClients, count > limit {
            row.skipped = server.limitNote
            return row
        }
        Log.plain("== \(server.label), \(Units.count(count)) idle connections")
        guard let runner = start(server, clients: count, work: try workValues()[0], calibration: calibration, logPath: "\(logFolder)/\(fileName(server))-\(count)-idle.log") else {
            row.skipped = "did not start"
            row.errors = 1
            return row
        }
        defer { runner.stop() }
        let sampler = runner.sampler
        row.baselineResidentBytes = steadyResidentBytes(sampler)
        var configuration = loadConfiguration(port: runner.port)
        configuration.clients = count
        configuration.idle = true
        configuration.duration = idleDuration
        let hooks = LoadHooks(
            tick: { Log.plain($0.line) },
            measurementEnded: {
                row.heldResidentBytes = (try? sampler.exactResidentBytes()) ?? 0
                row.threads = (try? sampler.sample().threads) ?? 0
            })
        let report = try LoadGenerator(configuration).run(hooks: hooks)
        row.errors = report.totalErrors
        row.errorSummary = report.succeeded ? "" : report.errorLine
        Log.plain("   \(Units.bytes(row.bytesPerConnection)) per connection, \(report.errorLine)")
        if !report.succeeded { report.lines.filter { $0.hasPrefix("  error") }.prefix(5).forEach(Log.plain) }
        return row
    }

    // MARK: Plumbing

    /// Starts `server` sized for `count` clients, with `work` µs of `--work` per message, logging
    /// to `logPath`. Returns nil if it will not start (printed): one server that will not start is
    /// that server's failure, not the comparison's. `calibration`: hash rounds per µs for `--work`,
    /// the same for every server of the run.
    private func start(_ server: ServerUnderTest, clients count: Int, work: Int, calibration: Double, logPath: String) -> ServerProcess? {
        var arguments = server.arguments(forClients: count)
        if work > 0 {
            arguments += ["--work", String(work), "--work-calibration", String(calibration)]
            if workEvery > 1 { arguments += ["--work-every", String(workEvery)] }
        }
        do {
            return try ServerProcess(
                path: server.executable, name: server.name, arguments: arguments, outputPath: logPath)
        } catch {
            Log.plain("   \(error)")
            return nil
        }
    }

    /// The server's RSS once it has finished starting up: a pool starting thousands of threads
    /// keeps growing for a while, and a baseline taken too early would charge its threads to
    /// the connections. Waits until two readings 200 ms apart differ by under 64 KiB (at most
    /// about 5 s).
    private func steadyResidentBytes(_ sampler: ProcSampler) -> Int {
        var previous = (try? sampler.exactResidentBytes()) ?? 0
        for _ in 0..<25 {
            usleep(200_000)
            let current = (try? sampler.exactResidentBytes()) ?? 0
            if abs(current - previous) < 64 * 1024 { return current }
            previous = current
        }
        return previous
    }

    private func loadConfiguration(port: UInt16) -> LoadConfiguration {
        LoadConfiguration(
            host: "127.0.0.1", port: port, clients: 1, duration: duration, messageBytes: messageBytes,
            idle: false, timeout: timeout, rampBatch: 100)
    }

    private func serversToMeasure(in folder: String) throws -> [ServerUnderTest] {
        let names = servers.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            ?? ServerUnderTest.available(in: folder)
        guard !names.isEmpty else {
            throw ValidationError("no server executables in \(folder); build them first (swift build -c release).")
        }
        var extra: [String: [String]] = [:]
        for entry in serverArguments {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            extra[parts[0]] = parts.count > 1 ? parts[1].split(separator: " ").map(String.init) : []
        }
        return try names.map { entry in
            let name = String(entry.split(separator: " ").first ?? "")
            let path = name.contains("/") ? name : (folder as NSString).appendingPathComponent(name)
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw ValidationError("\(path) is not an executable; build it first (swift build -c release).")
            }
            let shortName = (name as NSString).lastPathComponent
            if entry.contains(" ") {
                let words = entry.split(separator: " ").dropFirst().joined(separator: " ")
                return ServerUnderTest(variant: "\(shortName) \(words)", executable: path)
            }
            return ServerUnderTest(name: shortName, executable: path, arguments: extra[shortName])
        }
    }

    private func writeFiles(_ figures: ComparisonFigures) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: dataFolder, withIntermediateDirectories: true)
        try manager.createDirectory(atPath: imagesFolder, withIntermediateDirectories: true)
        let files: [(String, () throws -> Void)] = [
            ("\(dataFolder)/\(prefix)-load.csv", { try figures.loadCSV.write(to: "\(dataFolder)/\(prefix)-load.csv") }),
            ("\(dataFolder)/\(prefix)-idle.csv", { try figures.idleCSV.write(to: "\(dataFolder)/\(prefix)-idle.csv") }),
            ("\(imagesFolder)/\(prefix)-throughput.svg", { try figures.throughputChart.write(to: "\(imagesFolder)/\(prefix)-throughput.svg") }),
            ("\(imagesFolder)/\(prefix)-p99.svg", { try figures.latencyChart.write(to: "\(imagesFolder)/\(prefix)-p99.svg") }),
            ("\(imagesFolder)/\(prefix)-memory.svg", { try figures.memoryChart.write(to: "\(imagesFolder)/\(prefix)-memory.svg") }),
        ]
        for (path, write) in files {
            try write()
            Log.plain("wrote \(path)")
        }
    }

    /// The command line that reproduces this run.
    private var reproduceCommand: String {
        var parts = ["swift run -c release Bench compare"]
        if let servers { parts.append(servers.contains(" ") ? "--servers '\(servers)'" : "--servers \(servers)") }
        for entry in serverArguments { parts.append("--arguments '\(entry)'") }
        if clients != "1,10,100,1000" { parts.append("--clients \(clients)") }
        if idleConnections != "1000,10000" { parts.append("--idle-connections \(idleConnections)") }
        if duration != 5 { parts.append("--duration \(Units.decimal(duration))") }
        if repeatRuns != 1 { parts.append("--repeat \(repeatRuns)") }
        if idleDuration != 2 { parts.append("--idle-duration \(Units.decimal(idleDuration))") }
        if messageBytes != 64 { parts.append("--message-bytes \(messageBytes)") }
        if work != "0" { parts.append("--work \(work)") }
        if workEvery != 1 { parts.append("--work-every \(workEvery)") }
        if prefix != "compare" { parts.append("--prefix \(prefix)") }
        return parts.joined(separator: " ")
    }

    /// `--work` as numbers: microseconds per message, 0 or more.
    private func workValues() throws -> [Int] {
        let values = work.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? -1) >= 0 }) else { throw ValidationError("bad --work list '\(work)'") }
        return values.map { $0! }
    }

    /// A server's name as part of a file name: `Part4Epoll-loops-2` for `Part4Epoll --loops 2`.
    private func fileName(_ server: ServerUnderTest) -> String {
        server.name.split(whereSeparator: { $0 == " " || $0 == "/" }).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "-")) }
            .joined(separator: "-")
    }

    // MARK: Work per message (Chapter 8)

    /// Writes and prints what a sweep over several `--work` values measured.
    private func reportWorkSweep(
        _ load: [LoadMeasurement], servers lineup: [ServerUnderTest], machine: MachineDescription, logFolder: String
    ) throws {
        let figures = WorkFigures(
            load: load, servers: lineup, machine: machine, command: reproduceCommand, messageBytes: messageBytes,
            duration: duration, rounds: repeatRuns, workEvery: workEvery)
        let manager = FileManager.default
        try manager.createDirectory(atPath: dataFolder, withIntermediateDirectories: true)
        try manager.createDirectory(atPath: imagesFolder, withIntermediateDirectories: true)
        let files: [(String, () throws -> Void)] = [
            ("\(dataFolder)/\(prefix)-work.csv", { try figures.csv.write(to: "\(dataFolder)/\(prefix)-work.csv") }),
            ("\(imagesFolder)/\(prefix)-work-throughput.svg", { try figures.throughputChart.write(to: "\(imagesFolder)/\(prefix)-work-throughput.svg") }),
            ("\(imagesFolder)/\(prefix)-work-p99.svg", { try figures.latencyChart.write(to: "\(imagesFolder)/\(prefix)-work-p99.svg") }),
        ]
        for (path, write) in files {
            try write()
            Log.plain("wrote \(path)")
        }
        Log.plain("")
        Log.plain("closed-loop load, \(messageBytes)-byte messages, \(Units.decimal(duration)) s per run\(repeatRuns > 1 ? ", median of \(repeatRuns) rounds" : "")\(workEvery > 1 ? ", work on one message in \(workEvery)" : "")")
        figures.table.forEach(Log.plain)
        let errors = load.reduce(0) { $0 + $1.errors }
        if errors > 0 {
            Log.plain("\(Units.count(errors)) errors; the servers' logs are in \(logFolder)")
            throw ExitCode.failure
        }
        try? FileManager.default.removeItem(atPath: logFolder)
    }

    private func numbers(_ list: String) throws -> [Int] {
        let values = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { throw ValidationError("bad number list '\(list)'") }
        return values.map { $0! }
    }
}
