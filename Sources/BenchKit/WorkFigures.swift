// WorkFigures: what `Bench compare --work 0,10,50,200` measured, as a reader sees it (Chapter 8).
//
// The same closed-loop runs as the rest of `compare`, repeated for several amounts of CPU work
// per message: a CSV file with one row per server, client count and work, a chart of
// throughput against work and one of p99 latency against work, and a plain table. Pure:
// measurements in, text out.

struct WorkFigures {
    var load: [LoadMeasurement]
    var servers: [ServerUnderTest]
    var machine: MachineDescription
    var command: String
    var messageBytes: Int
    var duration: Double
    var rounds: Int
    /// Only one message in `workEvery` of each connection cost the work.
    var workEvery: Int

    private var clientCounts: [Int] {
        var seen: [Int] = []
        for row in load where !seen.contains(row.clients) { seen.append(row.clients) }
        return seen
    }

    private var workText: String {
        workEvery > 1 ? "one message in \(workEvery) of each connection costs the work, the others none" : "every message costs the work"
    }

    private var roundsText: String { rounds > 1 ? ", median of \(rounds) rounds" : "" }

    var csv: CSVWriter {
        var csv = CSVWriter(
            columns: ["server", "clients", "work_us", "messages", "msgs_per_s", "p50_us", "p90_us", "p99_us", "max_us",
                      "errors", "server_cpu_percent", "bench_cpu_percent", "note"],
            comments: [("experiment", "closed-loop load with CPU work per message (--work): each client sends '^' + \(messageBytes) bytes + '$' and waits for the verified reply; \(workText); \(Units.decimal(duration)) s per run\(roundsText)")]
                + machine.fields + [("command", command)])
        for row in load {
            if let skipped = row.skipped {
                csv.append([row.server, String(row.clients), String(row.work), "", "", "", "", "", "", String(row.errors), "", "", "not run: \(skipped)"])
                continue
            }
            csv.append([
                row.server, String(row.clients), String(row.work), String(row.messages),
                Units.decimal(row.messagesPerSecond, digits: 0), micro(row.p50), micro(row.p90), micro(row.p99), micro(row.max),
                String(row.errors), Units.decimal(row.cpuPercent, digits: 0), Units.decimal(row.generatorCPUPercent, digits: 0),
                row.errorSummary,
            ])
        }
        return csv
    }

    private func micro(_ nanoseconds: UInt64) -> String {
        Units.decimal(Double(nanoseconds) / 1000, digits: 1)
    }

    /// One series per server (and per client count, if there were several).
    private func series(_ value: (LoadMeasurement) -> Double) -> [SVGChart.Series] {
        let counts = clientCounts
        return counts.flatMap { clients in
            servers.compactMap { server -> SVGChart.Series? in
                let points = load.filter { $0.server == server.name && $0.clients == clients && $0.skipped == nil }
                    .map { SVGChart.Point(x: Double($0.work), y: value($0)) }
                guard !points.isEmpty else { return nil }
                let name = counts.count > 1 ? "\(server.label), \(Units.count(clients)) clients" : server.label
                return SVGChart.Series(name: name, points: points, style: ComparisonFigures.style(of: server, among: servers))
            }
        }
    }

    private var notes: [String] {
        let clients = clientCounts.map { Units.count($0) }.joined(separator: ", ")
        return ["\(clients) closed-loop clients, \(messageBytes)-byte messages, \(workText), \(Units.decimal(duration)) s per point\(roundsText)",
                machine.line, "reproduce: \(command)"]
    }

    /// The x axis: work per message, or per costly message with `--work-every`.
    private var xLabel: String {
        workEvery > 1 ? "CPU work of one message in \(workEvery), in µs (--work)" : "CPU work per message in µs (--work)"
    }

    var throughputChart: SVGChart {
        SVGChart(
            title: "Throughput against CPU work per message",
            xLabel: xLabel, yLabel: "verified messages per second",
            xScale: .linear, yScale: .automatic,
            series: series { $0.messagesPerSecond }, notes: notes)
    }

    var latencyChart: SVGChart {
        SVGChart(
            title: "99th percentile latency against CPU work per message",
            xLabel: xLabel, yLabel: "p99 round trip in ms",
            xScale: .linear, yScale: .automatic,
            series: series { Double($0.p99) / 1e6 }, notes: notes)
    }

    var table: [String] {
        var lines = ["\(Units.left("server", 34)) \(Units.right("clients", 7)) \(Units.right("work", 7)) \(Units.right("msgs/s", 10)) \(Units.right("p50", 9)) \(Units.right("p99", 9)) \(Units.right("errors", 6)) \(Units.right("CPU", 5)) \(Units.right("Bench", 5))"]
        for row in load where row.skipped == nil {
            lines.append("\(Units.left(row.server, 34)) \(Units.right(Units.count(row.clients), 7)) \(Units.right("\(row.work) µs", 7)) \(Units.right(Units.count(Int(row.messagesPerSecond.rounded())), 10)) \(Units.right(Units.duration(nanoseconds: Double(row.p50)), 9)) \(Units.right(Units.duration(nanoseconds: Double(row.p99)), 9)) \(Units.right(Units.count(row.errors), 6)) \(Units.right(Units.decimal(row.cpuPercent, digits: 0) + "%", 5)) \(Units.right(Units.decimal(row.generatorCPUPercent, digits: 0) + "%", 5))")
        }
        return lines
    }
}
