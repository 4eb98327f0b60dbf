// LoadReport: what one `Bench load` run measured — and everything that went wrong in it.
//
// Throughput and latency mean nothing if some replies were wrong or some clients silently
// dropped out, so the report keeps the errors beside the figures: counted by kind, the first few
// described in full, and a run with any error is a failed run (`Bench load` exits non-zero).

import Histogram

struct LoadReport {
    /// The ways a client's conversation with the server can fail.
    enum ErrorKind: String, CaseIterable, Sendable {
        /// The connection could not be made (refused, out of descriptors, no answer in time).
        case connect
        /// The server closed, reset or stayed silent instead of sending `*` first, or sent
        /// something else.
        case greeting
        /// A reply byte was not the payload byte plus one, or came when none was due.
        case wrongByte = "wrong byte"
        /// After the greeting, the server reset or closed the connection.
        case reset
        /// A message's reply did not arrive in full within the timeout.
        case timeout
    }

    /// How many error descriptions are kept (the counts are always complete).
    static let keptErrorDescriptions = 20

    let configuration: LoadConfiguration
    /// Clients that connected and received their greeting.
    var clientsGreeted = 0
    /// Seconds from the first connect until every client was greeted (or had failed).
    var setupSeconds = 0.0
    /// Seconds the measurement (or, with `--idle`, the hold) lasted.
    var measuredSeconds = 0.0
    /// CPU time the load generator's thread used during the measurement: near
    /// `measuredSeconds`, the generator was saturated and the figures are its limit, not the
    /// server's.
    var generatorCPUSeconds = 0.0
    /// Messages whose every reply byte arrived and was right.
    var messages = 0
    /// Round-trip time of each message, in nanoseconds: from its first byte sent to its last
    /// reply byte received.
    var latency = Histogram<UInt64>(highestTrackableValue: LoadReport.highestLatency, numberOfSignificantValueDigits: .three)
    private(set) var errorCounts: [ErrorKind: Int] = [:]
    private(set) var errorDescriptions: [String] = []

    /// Latencies above a minute are recorded as a minute.
    static let highestLatency: UInt64 = 60_000_000_000

    init(configuration: LoadConfiguration) {
        self.configuration = configuration
    }

    mutating func recordError(_ kind: ErrorKind, _ description: String) {
        errorCounts[kind, default: 0] += 1
        if errorDescriptions.count < Self.keptErrorDescriptions {
            errorDescriptions.append("\(kind.rawValue): \(description)")
        }
    }

    func errors(_ kind: ErrorKind) -> Int { errorCounts[kind, default: 0] }

    var totalErrors: Int { errorCounts.values.reduce(0, +) }

    /// A run succeeded when nothing at all went wrong.
    var succeeded: Bool { totalErrors == 0 }

    var messagesPerSecond: Double {
        measuredSeconds > 0 ? Double(messages) / measuredSeconds : 0
    }

    /// The load generator's own CPU use, in percent of one core.
    var generatorCPUPercent: Double {
        measuredSeconds > 0 ? generatorCPUSeconds / measuredSeconds * 100 : 0
    }

    /// Latency at `percentile` (0–100) in nanoseconds; 0 when no message completed.
    func latency(atPercentile percentile: Double) -> UInt64 {
        latency.totalCount == 0 ? 0 : latency.valueAtPercentile(percentile)
    }

    var maxLatency: UInt64 { latency.totalCount == 0 ? 0 : latency.max }

    /// `errors: 0 (connect 0, greeting 0, wrong byte 0, reset 0, timeout 0)`
    var errorLine: String {
        let kinds = ErrorKind.allCases.map { "\($0.rawValue) \(errors($0))" }.joined(separator: ", ")
        return "errors: \(Units.count(totalErrors)) (\(kinds))"
    }

    /// The report as `Bench load` prints it.
    var lines: [String] {
        var lines: [String] = []
        let wanted = configuration.clients
        lines.append("setup: \(Units.count(clientsGreeted)) of \(Units.count(wanted)) clients greeted in \(Units.decimal(setupSeconds, digits: 2)) s")
        if configuration.idle {
            lines.append("held: \(Units.count(clientsGreeted)) idle connections for \(Units.decimal(measuredSeconds, digits: 1)) s")
        } else {
            lines.append("messages: \(Units.count(messages)) in \(Units.decimal(measuredSeconds, digits: 2)) s = \(Units.count(Int(messagesPerSecond.rounded()))) msgs/s")
            let percentiles = [50.0, 90, 99].map { "p\(Int($0)) \(Units.duration(nanoseconds: Double(latency(atPercentile: $0))))" }
            lines.append("latency: " + percentiles.joined(separator: "  ") + "  max \(Units.duration(nanoseconds: Double(maxLatency)))")
        }
        if measuredSeconds > 0 {
            lines.append("load generator: \(Units.decimal(generatorCPUPercent, digits: 0))% of one core during the measurement")
        }
        lines.append(errorLine)
        for description in errorDescriptions { lines.append("  error: \(description)") }
        if totalErrors > errorDescriptions.count {
            lines.append("  (\(Units.count(totalErrors - errorDescriptions.count)) more errors not described)")
        }
        return lines
    }
}
