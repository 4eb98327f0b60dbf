// ComparisonFigures: turns `Bench compare`'s measurements into what a reader sees — the CSV
// files in Chapters/data, the SVG charts in Chapters/images, and the plain table on the terminal.
//
// Pure: measurements in, text out. The command decides where the files go; the tests check the
// files are well formed and hold one series per server.

struct ComparisonFigures {
    var load: [LoadMeasurement]
    var idle: [IdleMeasurement]
    var machine: MachineDescription
    /// The command that produced the data, as a reader would type it.
    var command: String
    var messageBytes: Int
    var duration: Double
    /// Rounds of load runs each load figure is the median of.
    var rounds = 1
    /// Servers in the order they were given, with their labels.
    var servers: [ServerUnderTest]

    // MARK: CSV

    var loadCSV: CSVWriter {
        var csv = CSVWriter(
            columns: ["server", "clients", "messages", "msgs_per_s", "p50_us", "p90_us", "p99_us", "max_us",
                      "errors", "server_peak_rss_kib", "server_peak_threads", "server_cpu_percent", "bench_cpu_percent", "note"],
            comments: header("closed-loop load: each client sends '^' + \(messageBytes) bytes + '$' and waits for the verified reply; \(Units.decimal(duration)) s per run\(roundsText)"))
        for row in load {
            if let skipped = row.skipped {
                csv.append([row.server, String(row.clients), "", "", "", "", "", "", String(row.errors), "", "", "", "", "not run: \(skipped)"])
                continue
            }
            csv.append([
                row.server, String(row.clients), String(row.messages), Units.decimal(row.messagesPerSecond, digits: 0),
                micro(row.p50), micro(row.p90), micro(row.p99), micro(row.max), String(row.errors),
                String(row.peakResidentBytes / 1024), String(row.peakThreads), Units.decimal(row.cpuPercent, digits: 0),
                Units.decimal(row.generatorCPUPercent, digits: 0), row.errorSummary,
            ])
        }
        return csv
    }

    var idleCSV: CSVWriter {
        var csv = CSVWriter(
            columns: ["server", "connections", "baseline_rss_kib", "held_rss_kib", "bytes_per_connection", "threads", "errors", "note"],
            comments: header("idle connections: opened, greeted, then held without traffic; server RSS from /proc/PID/smaps_rollup"))
        for row in idle {
            if let skipped = row.skipped {
                csv.append([row.server, String(row.connections), "", "", "", "", String(row.errors), "not run: \(skipped)"])
                continue
            }
            csv.append([
                row.server, String(row.connections), String(row.baselineResidentBytes / 1024), String(row.heldResidentBytes / 1024),
                Units.decimal(row.bytesPerConnection, digits: 0), String(row.threads), String(row.errors), row.errorSummary,
            ])
        }
        return csv
    }

    private func header(_ experiment: String) -> [(String, String)] {
        [("experiment", experiment)] + machine.fields + [("command", command)]
    }

    /// `, median of 3 rounds` (nothing for a single round).
    private var roundsText: String { rounds > 1 ? ", median of \(rounds) rounds" : "" }

    private func micro(_ nanoseconds: UInt64) -> String {
        Units.decimal(Double(nanoseconds) / 1000, digits: 1)
    }

    // MARK: Charts

    private var notes: [String] {
        [machine.line, "reproduce: \(command)"]
    }

    /// A server's colour and dash: its Part number's, so Part 4 looks the same in every chart
    /// and every chapter; servers from outside the tutorial follow them.
    private func style(of server: ServerUnderTest) -> Int {
        Self.style(of: server, among: servers)
    }

    /// The style of `server` in a chart of `servers`: a tutorial server's is its Part's; the
    /// others (variants, servers from outside the tutorial) take the styles after them, in order.
    static func style(of server: ServerUnderTest, among servers: [ServerUnderTest]) -> Int {
        if let part = ServerUnderTest.tutorialServers.firstIndex(of: server.name) { return part }
        let others = servers.filter { !ServerUnderTest.tutorialServers.contains($0.name) }
        return ServerUnderTest.tutorialServers.count + (others.firstIndex { $0.name == server.name } ?? 0)
    }

    private func loadSeries(_ value: (LoadMeasurement) -> Double) -> [SVGChart.Series] {
        servers.compactMap { server in
            let points = load.filter { $0.server == server.name && $0.skipped == nil }
                .map { SVGChart.Point(x: Double($0.clients), y: value($0)) }
            return points.isEmpty ? nil : SVGChart.Series(name: server.label, points: points, style: style(of: server))
        }
    }

    var throughputChart: SVGChart {
        SVGChart(
            title: "Throughput against concurrent clients",
            xLabel: "concurrent clients", yLabel: "verified messages per second",
            xScale: .logarithmic, yScale: .automatic,
            series: loadSeries { $0.messagesPerSecond },
            notes: ["closed-loop clients, \(messageBytes)-byte messages, \(Units.decimal(duration)) s per point\(roundsText), client and server on the same host"] + notes)
    }

    var latencyChart: SVGChart {
        SVGChart(
            title: "99th percentile latency against concurrent clients",
            xLabel: "concurrent clients", yLabel: "p99 round trip in ms",
            xScale: .logarithmic, yScale: .automatic,
            series: loadSeries { Double($0.p99) / 1e6 },
            notes: ["time from a message's first byte sent to its last reply byte received, \(messageBytes)-byte messages"] + notes)
    }

    var memoryChart: SVGChart {
        let series: [SVGChart.Series] = servers.compactMap { server in
            let rows = idle.filter { $0.server == server.name && $0.skipped == nil }
            guard let largest = rows.max(by: { $0.connections < $1.connections }) else { return nil }
            // The server before any connection is the point at 0: the line's slope is then the
            // cost per connection, and its intercept what the server costs doing nothing. Not for
            // a server sized to the load (Part3Pool's --threads {clients}): each of its rows is a
            // different server with a baseline of its own, and none belongs under all of them.
            let sizedToLoad = server.arguments.contains { $0.contains("{clients}") }
            let idleServer = sizedToLoad ? nil : rows.min(by: { $0.connections < $1.connections }).map {
                SVGChart.Point(x: 0, y: Double($0.baselineResidentBytes) / 1_048_576)
            }
            let points = [idleServer].compactMap { $0 }
                + rows.map { SVGChart.Point(x: Double($0.connections), y: Double($0.heldResidentBytes) / 1_048_576) }
            let sizing = sizedToLoad ? " (\(server.arguments.joined(separator: " ")), so no point at 0)" : ""
            return SVGChart.Series(
                name: "\(server.name): \(Units.bytes(largest.bytesPerConnection))/connection\(sizing)", points: points,
                style: style(of: server))
        }
        return SVGChart(
            title: "Server memory against idle connections",
            xLabel: "idle connections", yLabel: "server resident memory in MiB",
            xScale: .linear, yScale: .linear,
            series: series,
            notes: ["RSS while holding that many greeted, silent connections; per connection = (held - before) / connections"] + notes)
    }

    // MARK: Tables

    var loadTable: [String] {
        var lines = ["\(Units.left("server", 18)) \(Units.right("clients", 7)) \(Units.right("msgs/s", 10)) \(Units.right("p50", 9)) \(Units.right("p99", 9)) \(Units.right("max", 9)) \(Units.right("errors", 6)) \(Units.right("RSS", 10)) \(Units.right("threads", 7)) \(Units.right("CPU", 5)) \(Units.right("Bench", 5))"]
        for row in load {
            let start = "\(Units.left(row.server, 18)) \(Units.right(Units.count(row.clients), 7))"
            if row.skipped != nil { continue }  // said once, under the table
            lines.append("\(start) \(Units.right(Units.count(Int(row.messagesPerSecond.rounded())), 10)) \(Units.right(Units.duration(nanoseconds: Double(row.p50)), 9)) \(Units.right(Units.duration(nanoseconds: Double(row.p99)), 9)) \(Units.right(Units.duration(nanoseconds: Double(row.max)), 9)) \(Units.right(Units.count(row.errors), 6)) \(Units.right(Units.bytes(Double(row.peakResidentBytes)), 10)) \(Units.right(Units.count(row.peakThreads), 7)) \(Units.right(Units.decimal(row.cpuPercent, digits: 0) + "%", 5)) \(Units.right(Units.decimal(row.generatorCPUPercent, digits: 0) + "%", 5))")
        }
        return lines
    }

    /// One line per server that was left out of some runs, saying why.
    var skippedNotes: [String] {
        var seen = Set<String>()
        return (load.map { ($0.server, $0.skipped) } + idle.map { ($0.server, $0.skipped) })
            .compactMap { server, skipped in
                guard let skipped, seen.insert(server).inserted else { return nil }
                return "\(server): \(skipped)"
            }
    }

    var idleTable: [String] {
        var lines = ["\(Units.left("server", 18)) \(Units.right("connections", 11)) \(Units.right("RSS before", 11)) \(Units.right("RSS held", 11)) \(Units.right("per conn.", 10)) \(Units.right("threads", 7)) \(Units.right("errors", 6))"]
        for row in idle {
            let start = "\(Units.left(row.server, 18)) \(Units.right(Units.count(row.connections), 11))"
            if row.skipped != nil { continue }  // said once, under the table
            lines.append("\(start) \(Units.right(Units.bytes(Double(row.baselineResidentBytes)), 11)) \(Units.right(Units.bytes(Double(row.heldResidentBytes)), 11)) \(Units.right(Units.bytes(row.bytesPerConnection), 10)) \(Units.right(Units.count(row.threads), 7)) \(Units.right(Units.count(row.errors), 6))")
        }
        return lines
    }
}
