// WorkFiguresTests: server variants and the throughput-against-work figures of Chapter 8.

import Foundation
import Testing

@testable import BenchKit

@Suite("Server variants and work per message")
struct WorkFiguresTests {
    @Test("a variant is one executable with its own arguments, named and labelled by its entry")
    func variants() {
        let loops = ServerUnderTest(variant: "Part4Epoll --loops 2", executable: "/x/Part4Epoll")
        #expect(loops.name == "Part4Epoll --loops 2" && loops.program == "Part4Epoll" && loops.isVariant)
        #expect(loops.arguments(forClients: 100) == ["--loops", "2"])
        #expect(loops.label == "Part4Epoll --loops 2")
        // A variant keeps its executable's defaults and limits: the pool is still sized to the load.
        let pool = ServerUnderTest(variant: "Part3Pool --queue-capacity 4", executable: "/x/Part3Pool")
        #expect(pool.arguments(forClients: 10) == ["--threads", "10", "--queue-capacity", "4"])
        let sequential = ServerUnderTest(variant: "Part1Sequential --work 5", executable: "/x/Part1Sequential")
        #expect(sequential.maxClients == 1)
        #expect(!ServerUnderTest(name: "Part4Epoll", executable: "/x/Part4Epoll").isVariant)
    }

    @Test("variants get colours of their own, after the Parts'; a Part keeps its own")
    func variantStyles() {
        let servers = [
            ServerUnderTest(name: "Part4Epoll", executable: "/x/Part4Epoll"),
            ServerUnderTest(variant: "Part4Epoll --loops 2", executable: "/x/Part4Epoll"),
            ServerUnderTest(variant: "Part4Epoll --offload 2", executable: "/x/Part4Epoll"),
        ]
        let styles = servers.map { ComparisonFigures.style(of: $0, among: servers) }
        #expect(styles == [3, 7, 8])  // after the seven tutorial servers (Parts 1-5, Chapter 7's two)
    }

    func sample() -> WorkFigures {
        let servers = [
            ServerUnderTest(name: "Part4Epoll", executable: "/x/Part4Epoll"),
            ServerUnderTest(variant: "Part4Epoll --loops 2", executable: "/x/Part4Epoll"),
        ]
        var load: [LoadMeasurement] = []
        for work in [0, 10, 50, 200] {
            for (index, server) in servers.enumerated() {
                load.append(LoadMeasurement(
                    server: server.name, clients: 100, work: work, messages: 1000,
                    messagesPerSecond: Double((index + 1) * 1_000_000 / (work + 20)), p50: 1000, p90: 2000, p99: UInt64(work + 1) * 1000, max: 9000))
            }
        }
        return WorkFigures(
            load: load, servers: servers, machine: testMachine, command: "swift run -c release Bench compare --work 0,10,50,200",
            messageBytes: 64, duration: 1, rounds: 3, workEvery: 1)
    }

    @Test("the CSV has one row per server and work, with the work in microseconds")
    func csv() {
        let rows = parseCSV(sample().csv.text).filter { !($0.first ?? "").hasPrefix("#") }
        #expect(rows.first?.prefix(3) == ["server", "clients", "work_us"])
        #expect(rows.count == 1 + 8)
        #expect(rows.contains(["Part4Epoll --loops 2", "100", "50", "1000", "28571", "1.0", "2.0", "51.0", "9.0", "0", "0", "0", ""]))
    }

    @Test("the charts plot each server against work, one point per work value")
    func charts() throws {
        let throughput = try seriesInSVG(sample().throughputChart.render())
        #expect(throughput.map(\.name) == ["Part4Epoll", "Part4Epoll --loops 2"])
        #expect(throughput.allSatisfy { $0.points.map(\.x) == [0, 10, 50, 200] })
        #expect(throughput[1].points.map(\.y) == [100_000, 66_666, 28_571, 9_090])
        let latency = try seriesInSVG(sample().latencyChart.render())
        #expect(latency[0].points.map(\.y) == [0.001, 0.011, 0.051, 0.201])
    }
}
