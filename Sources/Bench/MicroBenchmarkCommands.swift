// MicroBenchmarkCommands: `Bench spawn`, `Bench handoff` and `Bench threads-memory`.
//
// Each command owns a list of rows; the green-thread runtime (Chapter 5) adds its own row to
// each list — one line per command — so pthreads and green threads are measured by the same
// loop, in the same run, and printed in the same table.

import ArgumentParser

struct SpawnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spawn", abstract: "Cost of creating and joining a thread (median of several runs).")

    @Option(help: "Threads created and joined per run.")
    var iterations = 2000

    @Option(help: "Runs; the median is reported.")
    var runs = 7

    @Option(help: "Also write the figures to this CSV file.")
    var csv: String?

    /// The ways of starting a thread that are measured; add a row to measure another.
    static func rows(iterations: Int) -> [MicroBenchmark] {
        [
            MicroBenchmark(label: "pthread create + join", format: { Units.duration(nanoseconds: $0) }, unit: "ns") {
                try PthreadCosts.createAndJoin(iterations: iterations)
            },
        ]
    }

    func run() throws {
        try MicroBenchmark.report(
            Self.rows(iterations: iterations),
            title: "Bench spawn: create + join, per thread (median of \(runs) runs × \(Units.count(iterations)) threads)",
            runs: runs, csvPath: csv)
    }
}

struct HandoffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handoff", abstract: "Cost of passing a token between two threads (ns per handoff, median of several runs).")

    @Option(help: "Round trips per run (two handoffs each).")
    var rounds = 5000

    @Option(help: "Runs; the median is reported.")
    var runs = 7

    @Option(help: "Also write the figures to this CSV file.")
    var csv: String?

    /// The ways of handing a token between threads that are measured; add a row for another.
    static func rows(rounds: Int) -> [MicroBenchmark] {
        [
            MicroBenchmark(label: "pthreads, mutex + condition variable", format: { Units.duration(nanoseconds: $0) }, unit: "ns") {
                try PthreadCosts.handoff(rounds: rounds)
            },
        ]
    }

    func run() throws {
        try MicroBenchmark.report(
            Self.rows(rounds: rounds),
            title: "Bench handoff: time per handoff (median of \(runs) runs × \(Units.count(2 * rounds)) handoffs)",
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

    @Option(help: "Comma-separated thread counts.")
    var counts = "1000,10000"

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
        var bytesPerThread: (Int) throws -> Double
    }

    /// The kinds measured; add one to measure another.
    static var kinds: [Kind] { [
        Kind(id: "pthread-default", label: "pthread, default stack (8 MiB)") {
            try PthreadCosts.idleThreadMemory(count: $0, stackSize: nil)
        },
        Kind(id: "pthread-64k", label: "pthread, 64 KiB stack") {
            try PthreadCosts.idleThreadMemory(count: $0, stackSize: 64 * 1024)
        },
    ] }

    func validate() throws {
        guard parsedCounts != nil else { throw ValidationError("--counts takes comma-separated positive numbers.") }
        if let probe, !Self.kinds.contains(where: { $0.id == probe }) { throw ValidationError("unknown kind '\(probe)'.") }
    }

    private var parsedCounts: [Int]? {
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
            parsedCounts!.map { count in
                MicroBenchmark(label: "\(kind.label) × \(Units.count(count))", format: { Units.bytes($0) }, unit: "bytes") {
                    try ChildProcess.runBench(["threads-memory", "--probe", kind.id, "--counts", String(count)])
                }
            }
        }
        try MicroBenchmark.report(
            rows, title: "Bench threads-memory: RSS per idle thread (median of \(runs) runs, each in a fresh process)",
            runs: runs, csvPath: csv)
    }
}
