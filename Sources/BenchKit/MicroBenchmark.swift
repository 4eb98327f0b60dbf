// MicroBenchmark: one runtime cost measured several times, reported as its median.
//
// `spawn`, `handoff` and `threads-memory` each hold a list of these rows — one per way of doing
// the thing (a pthread, and a green thread of the StateThreads runtime, side by side in the same
// table). A single run of a micro-benchmark on a shared machine is a coin toss;
// the median of several runs is robust to the odd run a neighbour disturbed, and min and max
// show how much the runs disagreed.

import Foundation
import ServerCore

struct MicroBenchmark {
    /// What is measured, e.g. `pthread create + join`.
    var label: String
    /// Formats one measurement with its unit (e.g. `Units.duration(nanoseconds:)`).
    var format: (Double) -> String
    /// Unit of the raw numbers in the CSV, e.g. `ns` or `bytes`.
    var unit: String
    /// Takes one measurement.
    var measure: () throws -> Double

    /// The measurements of `runs` runs, sorted.
    func run(times runs: Int) throws -> [Double] {
        try (0..<runs).map { _ in try measure() }.sorted()
    }

    static func median(_ sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Runs every row `runs` times, prints a table of medians (with min and max) and, if
    /// `csvPath` is given, writes the same figures there.
    static func report(_ rows: [MicroBenchmark], title: String, runs: Int, csvPath: String?) throws {
        let machine = MachineDescription.current()
        Log.plain(title)
        Log.plain(machine.line)
        let width = max(30, (rows.map(\.label.count).max() ?? 0) + 2)
        Log.plain("\(Units.left("", width)) \(Units.right("median", 10)) \(Units.right("min", 10)) \(Units.right("max", 10))")
        var csv = CSVWriter(
            columns: ["what", "unit", "median", "min", "max", "runs"],
            comments: [("experiment", title)] + machine.fields + [("command", "swift run -c release Bench " + CommandLine.arguments.dropFirst().joined(separator: " "))])
        for row in rows {
            let results = try row.run(times: runs)
            let median = Self.median(results)
            Log.plain("\(Units.left(row.label, width)) \(Units.right(row.format(median), 10)) \(Units.right(row.format(results.first ?? 0), 10)) \(Units.right(row.format(results.last ?? 0), 10))")
            csv.append([row.label, row.unit, Units.decimal(median, digits: 0), Units.decimal(results.first ?? 0, digits: 0),
                        Units.decimal(results.last ?? 0, digits: 0), String(runs)])
        }
        if let csvPath {
            try csv.write(to: csvPath)
            Log.plain("wrote \(csvPath)")
        }
    }
}
