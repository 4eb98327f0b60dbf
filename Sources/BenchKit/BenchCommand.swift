// BenchCommand: the `Bench` command line, the instrument behind every figure in the chapters (Chapter 6).
//
//     swift run -c release Bench load ...       one verifying load run against a running server
//     swift run -c release Bench compare ...    every server side by side, CSV and SVG charts
//     swift run -c release Bench spawn | handoff | threads-memory    runtime costs
//     swift run -c release Bench nagle-demo     why replies go out one write per read (toy-server: its server)
//
// Each subcommand lives in its own file; the engine of `load` and `compare` is LoadGenerator.
// The executable (Sources/Bench/main.swift) only calls `BenchCommand.main()`: everything else is
// this library, which BenchTests import directly.

import ArgumentParser

public struct BenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "Bench",
        abstract: "Measures the servers: load, side-by-side comparison, and runtime micro-benchmarks.",
        subcommands: [
            LoadCommand.self,
            CompareCommand.self,
            SpawnCommand.self,
            HandoffCommand.self,
            ThreadsMemoryCommand.self,
            NagleDemoCommand.self,
            ToyServerCommand.self,
        ])

    public init() {}
}
