// FigureWriterTests: the CSV files and SVG charts Bench writes are well formed and hold what
// was measured — one series per server, the machine and date, the skipped runs marked.
//
// The SVG is parsed as XML (FoundationXML's XMLDocument), so an unescaped `&` or an unclosed
// element fails here rather than in a reader's browser. The CSV is read back with a small
// RFC 4180 parser written for the test.

@testable import BenchKit
import Foundation
import FoundationXML
import Testing

/// Splits CSV text into records (RFC 4180: quoted fields may hold commas, quotes, line breaks),
/// leaving out `#` comment lines.
func parseCSV(_ text: String) -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var quoted = false
    var atLineStart = true
    var skippingComment = false
    var characters = Array(text)[...]
    while let character = characters.popFirst() {
        if skippingComment {
            if character == "\n" { skippingComment = false; atLineStart = true }
            continue
        }
        if atLineStart && character == "#" { skippingComment = true; continue }
        atLineStart = false
        if quoted {
            if character == "\"" {
                if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
            } else {
                field.append(character)
            }
            continue
        }
        switch character {
        case "\"": quoted = true
        case ",": record.append(field); field = ""
        case "\n":
            record.append(field); field = ""
            records.append(record); record = []
            atLineStart = true
        default: field.append(character)
        }
    }
    if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
    return records
}

/// An attribute's value, looked up in the element's attribute list: swift-corelibs-foundation's
/// `attribute(forName:)` finds nothing on an element in a default namespace (as all of SVG is).
func attribute(_ name: String, of element: XMLElement) -> String? {
    element.attributes?.first { $0.name == name }?.stringValue
}

/// The `<g class="series" data-name=...>` groups of an SVG document, by name, with their points.
func seriesInSVG(_ svg: String) throws -> [(name: String, points: [(x: Double, y: Double)])] {
    let document = try XMLDocument(xmlString: svg, options: [])
    let root = try #require(document.rootElement())
    #expect(root.name == "svg")
    let groups = try root.nodes(forXPath: "//*[local-name()='g'][@class='series']").compactMap { $0 as? XMLElement }
    return groups.map { group in
        let circles = group.elements(forName: "circle")
        let points = circles.map { circle in
            (x: Double(attribute("data-x", of: circle) ?? "") ?? .nan,
             y: Double(attribute("data-y", of: circle) ?? "") ?? .nan)
        }
        return (attribute("data-name", of: group) ?? "", points)
    }
}

func allText(_ svg: String) throws -> [String] {
    let document = try XMLDocument(xmlString: svg, options: [])
    return try document.nodes(forXPath: "//*[local-name()='text']").compactMap { $0.stringValue }
}

let testMachine = MachineDescription(cpuModel: "Test CPU, \"quoted\"", cores: 2, kernel: "Linux 6.0", date: "2026-01-02 03:04 UTC")

/// Measurements as `Bench compare` would collect them for two servers, one limited to a client.
func sampleFigures() -> ComparisonFigures {
    let sequential = ServerUnderTest(name: "Part1Sequential", executable: "/x/Part1Sequential")
    let threaded = ServerUnderTest(name: "Part2Threaded", executable: "/x/Part2Threaded")
    var load: [LoadMeasurement] = []
    for clients in [1, 10, 100, 1000] {
        if clients == 1 {
            load.append(LoadMeasurement(server: "Part1Sequential", clients: 1, messages: 20_000, messagesPerSecond: 20_000, p50: 30_000, p90: 40_000, p99: 80_000, max: 1_000_000))
        } else {
            load.append(LoadMeasurement(server: "Part1Sequential", clients: clients, skipped: sequential.limitNote))
        }
        load.append(LoadMeasurement(
            server: "Part2Threaded", clients: clients, messages: clients * 1000, messagesPerSecond: Double(clients * 200),
            p50: UInt64(clients) * 10_000, p90: UInt64(clients) * 20_000, p99: UInt64(clients) * 50_000, max: UInt64(clients) * 90_000,
            peakResidentBytes: 14 << 20, peakThreads: clients + 1, cpuPercent: 95))
    }
    let idle = [
        IdleMeasurement(server: "Part1Sequential", connections: 1000, skipped: sequential.limitNote),
        IdleMeasurement(server: "Part2Threaded", connections: 1000, baselineResidentBytes: 14 << 20, heldResidentBytes: 30 << 20, threads: 1001),
        IdleMeasurement(server: "Part2Threaded", connections: 10000, baselineResidentBytes: 14 << 20, heldResidentBytes: 180 << 20, threads: 10001),
    ]
    return ComparisonFigures(
        load: load, idle: idle, machine: testMachine, command: "swift run -c release Bench compare --duration 1",
        messageBytes: 64, duration: 1, servers: [sequential, threaded])
}

@Suite("CSV and SVG writers")
struct FigureWriterTests {
    @Test("CSV fields with commas, quotes and line breaks are quoted, and read back intact")
    func csvQuoting() {
        var csv = CSVWriter(columns: ["name", "value"], comments: [("machine", "CPU, 2 cores")])
        csv.append(["plain", "1"])
        csv.append(["with, comma", "say \"hi\""])
        csv.append(["two\nlines", ""])
        let text = csv.text
        #expect(text.hasPrefix("# machine: CPU, 2 cores\nname,value\n"))
        #expect(parseCSV(text) == [["name", "value"], ["plain", "1"], ["with, comma", "say \"hi\""], ["two\nlines", ""]])
    }

    @Test("the load CSV has the machine, the date, one row per server and load, skipped runs marked")
    func loadCSV() throws {
        let text = sampleFigures().loadCSV.text
        let comments = text.split(separator: "\n").filter { $0.hasPrefix("#") }
        #expect(comments.contains("# date: 2026-01-02 03:04 UTC"))
        #expect(comments.contains("# cpu: Test CPU, \"quoted\""))
        #expect(comments.contains("# cores: 2"))
        #expect(comments.contains("# kernel: Linux 6.0"))
        let records = parseCSV(text)
        let header = try #require(records.first)
        #expect(header.first == "server" && header.contains("msgs_per_s") && header.contains("p99_us"))
        #expect(records.dropFirst().allSatisfy { $0.count == header.count })
        #expect(records.count == 1 + 8)
        let sequentialAt10 = try #require(records.first { $0[0] == "Part1Sequential" && $0[1] == "10" })
        #expect(sequentialAt10.last?.hasPrefix("not run:") == true)
        let threadedAt100 = try #require(records.first { $0[0] == "Part2Threaded" && $0[1] == "100" })
        #expect(threadedAt100[header.firstIndex(of: "msgs_per_s")!] == "20000")
        #expect(threadedAt100[header.firstIndex(of: "p99_us")!] == "5000.0")
    }

    @Test("the idle CSV gives bytes per connection")
    func idleCSV() throws {
        let records = parseCSV(sampleFigures().idleCSV.text)
        let header = try #require(records.first)
        let row = try #require(records.first { $0[0] == "Part2Threaded" && $0[1] == "10000" })
        #expect(row[header.firstIndex(of: "bytes_per_connection")!] == String((166 << 20) / 10000))
    }

    @Test("the throughput chart is valid SVG with one series per measured server")
    func throughputChart() throws {
        let svg = sampleFigures().throughputChart.render()
        let series = try seriesInSVG(svg)
        #expect(series.map(\.name) == ["Part1Sequential (1 client only)", "Part2Threaded"])
        #expect(series[0].points.map(\.x) == [1])
        #expect(series[1].points.map(\.x) == [1, 10, 100, 1000])
        #expect(series[1].points.map(\.y) == [200, 2000, 20000, 200000])
        let text = try allText(svg)
        #expect(text.contains("concurrent clients (log scale)"))
        #expect(text.contains { $0.hasPrefix("verified messages per second") })
        #expect(text.contains { $0.contains("2026-01-02 03:04 UTC") && $0.contains("Test CPU") })
        #expect(text.contains("Part2Threaded"))  // the legend
    }

    @Test("the p99 chart is in milliseconds on a log scale when the data spans decades")
    func latencyChart() throws {
        let svg = sampleFigures().latencyChart.render()
        let series = try seriesInSVG(svg)
        #expect(series.map(\.name) == ["Part1Sequential (1 client only)", "Part2Threaded"])
        #expect(series[1].points.map(\.y) == [0.05, 0.5, 5, 50])
        #expect(try allText(svg).contains("p99 round trip in ms (log scale)"))
    }

    @Test("the memory chart has a series per server that held connections, named with its cost per connection")
    func memoryChart() throws {
        let series = try seriesInSVG(sampleFigures().memoryChart.render())
        #expect(series.count == 1)
        #expect(series[0].name.hasPrefix("Part2Threaded: 17.0 KiB/connection"))
        #expect(series[0].points.map(\.x) == [0, 1000, 10000])
        #expect(series[0].points.map(\.y) == [14, 30, 180])  // MiB: before, with 1,000, with 10,000
    }

    @Test("a server sized to the load gets no point at 0 connections: each of its rows has a baseline of its own")
    func memoryChartOfAPoolSizedToTheLoad() throws {
        let pool = ServerUnderTest(name: "Part3Pool", executable: "/x/Part3Pool")  // --threads {clients}
        let idle = [
            IdleMeasurement(server: "Part3Pool", connections: 1000, baselineResidentBytes: 22 << 20, heldResidentBytes: 35 << 20, threads: 1002),
            IdleMeasurement(server: "Part3Pool", connections: 10000, baselineResidentBytes: 103 << 20, heldResidentBytes: 229 << 20, threads: 10002),
        ]
        let figures = ComparisonFigures(
            load: [], idle: idle, machine: testMachine, command: "swift run -c release Bench compare",
            messageBytes: 64, duration: 1, servers: [pool])
        let series = try seriesInSVG(figures.memoryChart.render())
        #expect(series.count == 1)
        #expect(series[0].name.contains("--threads {clients}"))
        #expect(series[0].points.map(\.x) == [1000, 10000])
        #expect(series[0].points.map(\.y) == [35, 229])
    }

    @Test("a server wears the same colour in every chart, even one that leaves another server out")
    func stableColours() throws {
        func colours(_ svg: String) throws -> [String: String] {
            let document = try XMLDocument(xmlString: svg, options: [])
            let groups = try document.nodes(forXPath: "//*[local-name()='g'][@class='series']").compactMap { $0 as? XMLElement }
            var byServer: [String: String] = [:]
            for group in groups {
                let name = attribute("data-name", of: group) ?? ""
                let server = String(name.prefix { $0 != " " && $0 != ":" })
                byServer[server] = attribute("stroke", of: group)
            }
            return byServer
        }
        let figures = sampleFigures()
        let throughput = try colours(figures.throughputChart.render())
        let memory = try colours(figures.memoryChart.render())
        #expect(throughput.count == 2)
        #expect(throughput["Part1Sequential"] != throughput["Part2Threaded"])
        // Part 1 holds no idle connections, so the memory chart's only series is Part 2's: it
        // keeps Part 2's colour rather than taking the first one.
        #expect(memory.keys.sorted() == ["Part2Threaded"])
        #expect(memory["Part2Threaded"] == throughput["Part2Threaded"])
    }

    @Test("the printed table has a row per run, and says once which server was not run and why")
    func tables() {
        let figures = sampleFigures()
        #expect(figures.loadTable.count == 1 + 5)  // header, Part1 at 1, Part2 at four loads
        #expect(figures.idleTable.count == 1 + 2)
        #expect(figures.skippedNotes == ["Part1Sequential: serves one client at a time, so it is measured at 1 client only"])
    }

    @Test("with several rounds, each row is the round with the median throughput, and no error is dropped")
    func medianRound() {
        func run(_ rate: Double, p99: UInt64, errors: Int = 0) -> [LoadMeasurement] {
            [LoadMeasurement(server: "S", clients: 10, messagesPerSecond: rate, p99: p99, errors: errors,
                             errorSummary: errors > 0 ? "errors: \(errors)" : "")]
        }
        let chosen = LoadMeasurement.medians(of: [run(10, p99: 1), run(30, p99: 3, errors: 2), run(20, p99: 2)])
        #expect(chosen.count == 1)
        #expect(chosen[0].messagesPerSecond == 20)
        #expect(chosen[0].p99 == 2)  // the latencies of the same run
        #expect(chosen[0].errors == 2)
        #expect(chosen[0].errorSummary == "errors: 2")
    }

    @Test("a pool is sized to the load unless told otherwise, and its legend says so")
    func poolArguments() {
        let pool = ServerUnderTest(name: "Part3Pool", executable: "/x/Part3Pool")
        #expect(pool.arguments(forClients: 100) == ["--threads", "100"])
        #expect(pool.label == "Part3Pool (--threads {clients})")
        let small = ServerUnderTest(name: "Part3Pool", executable: "/x/Part3Pool", arguments: ["--threads", "8"])
        #expect(small.arguments(forClients: 100) == ["--threads", "8"])
        #expect(ServerUnderTest(name: "Part4Epoll", executable: "/x/Part4Epoll").label == "Part4Epoll")
    }

    @Test("text that needs escaping stays well-formed XML")
    func escaping() throws {
        let chart = SVGChart(
            title: "a < b & \"c\"", xLabel: "x <unit>", yLabel: "y & z",
            series: [SVGChart.Series(name: "R&D <fast>", points: [.init(x: 1, y: 2), .init(x: 3, y: 4)])],
            notes: ["<note> & more"])
        let series = try seriesInSVG(chart.render())
        #expect(series.map(\.name) == ["R&D <fast>"])
        #expect(try allText(chart.render()).contains("a < b & \"c\""))
    }

    @Test("axes choose log scale only when the data spans two decades", arguments: [
        ([1.0, 10, 100, 1000], true), ([5.0, 20, 40], false), ([0.0, 100, 1000], false),
    ])
    func scaleChoice(values: [Double], logarithmic: Bool) {
        let axis = SVGChart.Axis(values: values, scale: .automatic, length: 100)
        #expect(axis.logarithmic == logarithmic)
        #expect(axis.low <= values.min()! && axis.high >= values.max()!)
        #expect(axis.position(axis.low) == 0 && axis.position(axis.high) == 100)
    }
}
