// Measurements: the rows `Bench compare` collects — one per server and load — before it writes
// them out as tables, CSV files and charts.

/// What every row says about whether its server ran at all.
protocol MeasurementRow {
    var server: String { get }
    /// Set when the server was not run at this load (and why).
    var skipped: String? { get set }
    var errors: Int { get set }
}

/// One server under one closed-loop load.
struct LoadMeasurement: MeasurementRow, Sendable {
    var server: String
    var clients: Int
    /// Microseconds of `--work` per message the server was given (Chapter 8); 0: none.
    var work = 0
    /// Set when the server was not run at this load (and why).
    var skipped: String?
    var messages = 0
    var messagesPerSecond = 0.0
    /// Latency percentiles and maximum, nanoseconds.
    var p50: UInt64 = 0
    var p90: UInt64 = 0
    var p99: UInt64 = 0
    var max: UInt64 = 0
    var errors = 0
    var errorSummary = ""
    /// The server's largest RSS and thread count seen during the run.
    var peakResidentBytes = 0
    var peakThreads = 0
    /// Server CPU time over the measurement, as a percentage of one core.
    var cpuPercent = 0.0
    /// The load generator's CPU time over the measurement, as a percentage of one core.
    var generatorCPUPercent = 0.0
}

extension LoadMeasurement {
    /// For each server and load, the round with the median throughput (its latencies and
    /// samples come with it, so a row is always one real run). `rounds` hold the same runs in
    /// the same order. With an even number of rounds, the lower middle one is taken.
    static func medians(of rounds: [[LoadMeasurement]]) -> [LoadMeasurement] {
        guard let first = rounds.first else { return [] }
        return first.indices.map { index in
            let runs = rounds.map { $0[index] }.sorted { $0.messagesPerSecond < $1.messagesPerSecond }
            // A round with errors is never hidden behind a clean one: errors are summed over all.
            var chosen = runs[(runs.count - 1) / 2]
            chosen.errors = runs.reduce(0) { $0 + $1.errors }
            if chosen.errorSummary.isEmpty { chosen.errorSummary = runs.first { !$0.errorSummary.isEmpty }?.errorSummary ?? "" }
            return chosen
        }
    }
}

/// One server holding a number of idle connections.
struct IdleMeasurement: MeasurementRow, Sendable {
    var server: String
    var connections: Int
    var skipped: String?
    /// Server RSS before any client connected, and while all of them were held.
    var baselineResidentBytes = 0
    var heldResidentBytes = 0
    var threads = 0
    var errors = 0
    var errorSummary = ""

    /// The memory each idle connection added to the server.
    var bytesPerConnection: Double {
        connections > 0 ? Double(heldResidentBytes - baselineResidentBytes) / Double(connections) : 0
    }
}
