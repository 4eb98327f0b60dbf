// MicroBenchmarkCommands: `Bench spawn`, `Bench handoff` and `Bench threads-memory`.
//
// Each command owns a list of rows, pthreads first and then Chapter 5's green threads, so both
// kinds are measured by the same loop, in the same run, and printed in the same table. Green
// operations are a thousand times cheaper, so they are repeated more often per run.

import ArgumentParser
import Harness  // ChildProcess, for threads-memory

struct SpawnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spawn", abstract: "Cost of creating and joining a thread (median of several runs).")

    @Option(help: "pthreads created and joined per run.")
    var iterations = 2000

    @Option(help: "Green threads spawned and joined per run.")
    var greenIterations = 1_000_000

    @Option(help: "Runs; the median is reported.")
    var runs = 7

    @Option(help: "Also write the figures to this CSV file.")
    var csv: String?

    /// The ways of starting a thread that are measured; add a row to measure another.
    static func rows(iterations: Int, greenIterations: Int) -> [MicroBenchmark] {
        [
            MicroBenchmark(label: "pthread create + join (\(Units.count(iterations))/run)", format: { Units.duration(nanoseconds: $0) }, unit: "ns") {
                try PthreadCosts.createAndJoin(iterations: iterations)
            },
            MicroBenchmark(label: "green spawn + join (\(Units.count(greenIterations))/run)", format: { Units.duration(nanoseconds: $0) }, unit: "ns") {
                try GreenCosts.spawnAndJoin(iterations: greenIterations)
            },
        ]
    }

    func validate() throws {
        guard iterations > 0, greenIterations > 0, runs > 0 else { throw ValidationError("counts must be positive.") }
    }

    func run() throws {
        try MicroBenchmark.report(
            Self.rows(iterations: iterations, greenIterations: greenIterations),
            title: "Bench spawn: create + join, per thread (median of \(runs) runs)",
            runs: runs, csvPath: csv)
    }
}

struct HandoffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handoff", abstract: "Cost of passing a token between two threads (ns per handoff, median of several runs).")

    @Option(help: "Round trips per run between pthreads (two handoffs each).")
    var rounds = 5000

    @Option(help: "Round trips per run between green threads (two handoffs or switches each).")
    var greenRounds = 500_000

    @Option(help: "Runs; the median is reported.")
    var runs = 7

    @Option(help: "Also write the figures to this CSV file.")
    var csv: String?

    /// The ways of handing a token between threads that are measured; add a row for another.
    static func rows(rounds: Int, greenRounds: Int) -> [MicroBenchmark] {
        [
            MicroBenchmark(label: "pthreads, mutex + condition variable (\(Units.count(2 * rounds))/run)", format: { Units.duration(nanoseconds: $0) }, unit: "ns") {
                try PthreadCosts.handoff(rounds: rounds)
            },
            MicroBenchmark(label: "green threads, yield (\(Units.count(2 * greenRounds))/run)", format: { Units.duration(nanoseconds: $0) }, unit: "ns") {
                try GreenCosts.yieldSwitch(switches: 2 * greenRounds)
            },
            MicroBenchmark(label: "green threads, Mutex + Condition (\(Units.count(2 * greenRounds))/run)", format: { Units.duration(nanoseconds: $0) }, unit: "ns") {
                try GreenCosts.handoff(rounds: greenRounds)
            },
        ]
    }

    func validate() throws {
        guard rounds > 0, greenRounds > 0, runs > 0 else { throw ValidationError("counts must be positive.") }
    }

    func run() throws {
        try MicroBenchmark.report(
            Self.rows(rounds: rounds, greenRounds: greenRounds),
            title: "Bench handoff: time per handoff or switch (median of \(runs) runs)",
            runs: runs, csvPath: csv)
    }
}

struct ThreadsMemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "threads-memory", abstract: "Resident memory per idle thread (median of several runs).",
        discussion: """
            Each run happens in a fresh child process: glibc keeps the stacks of finished threads \
            (up to 40 MiB) for reuse, so a second run in the same process would find pages already \
            resident and under-count.
            """)

    @Option(help: "Comma-separated thread counts for every kind. Default: 1,000 and 10,000 pthreads; 1,000, 10,000 and 100,000 green threads.")
    var counts: String?

    @Option(help: "Runs; the median is reported.")
    var runs = 3

    @Option(help: "Also write the figures to this CSV file.")
    var csv: String?

    @Option(help: .hidden)
    var probe: String?

    /// A kind of thread whose idle cost is measured: `bytesPerThread(count)` starts `count` of
    /// them, parks them, and returns the RSS each added.
    struct Kind {
        /// Names the kind on the command line of the child process that measures it.
        var id: String
        var label: String
        /// Thread counts measured unless `--counts` says otherwise.
        var defaultCounts: [Int]
        var bytesPerThread: (Int) throws -> Double
    }

    /// The kinds measured; add one to measure another. 100,000 pthreads would need 100,000
    /// kernel tasks (more than `kernel.threads-max` on a small machine); 100,000 green threads
    /// are the State Threads library's own benchmark.
    static var kinds: [Kind] { [
        Kind(id: "pthread-default", label: "pthread, default stack (8 MiB)", defaultCounts: [1000, 10000]) {
            try PthreadCosts.idleThreadMemory(count: $0, stackSize: nil)
        },
        Kind(id: "pthread-64k", label: "pthread, 64 KiB stack", defaultCounts: [1000, 10000]) {
            try PthreadCosts.idleThreadMemory(count: $0, stackSize: 64 * 1024)
        },
        Kind(id: "green", label: "green thread, 64 KiB stack", defaultCounts: [1000, 10000, 100_000]) {
            try GreenCosts.idleThreadMemory(count: $0)
        },
    ] }

    func validate() throws {
        if counts != nil, parsedCounts == nil { throw ValidationError("--counts takes comma-separated positive numbers.") }
        if let probe, !Self.kinds.contains(where: { $0.id == probe }) { throw ValidationError("unknown kind '\(probe)'.") }
        if probe != nil, parsedCounts?.count != 1 { throw ValidationError("--probe measures one count, given with --counts.") }
    }

    private var parsedCounts: [Int]? {
        guard let counts else { return nil }
        let values = counts.split(separator: ",").map { Int($0) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return values.map { $0! }
    }

    func run() throws {
        if let probe {
            // The child: measure once, print the bare figure for the parent to read.
            let kind = Self.kinds.first { $0.id == probe }!
            print(try kind.bytesPerThread(parsedCounts![0]))
            return
        }
        let rows = Self.kinds.flatMap { kind in
            (parsedCounts ?? kind.defaultCounts).map { count in
                MicroBenchmark(label: "\(kind.label) × \(Units.count(count))", format: { "\(Units.count(Int($0.rounded()))) B" }, unit: "bytes") {
                    try ChildProcess.runBench(["threads-memory", "--probe", kind.id, "--counts", String(count)])
                }
            }
        }
        try MicroBenchmark.report(
            rows, title: "Bench threads-memory: RSS per idle thread (median of \(runs) runs, each in a fresh process)",
            runs: runs, csvPath: csv)
    }
}
