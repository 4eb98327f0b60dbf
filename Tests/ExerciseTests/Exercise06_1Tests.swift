// Exercise 06-1's test: the learner's Little's-law predictions agree with a recorded Bench run.
//
// Every row of Chapters/data/compare-load.csv that has figures (one per server and client count)
// gives clients, msgs_per_s and p50_us. The latency predicted from clients and throughput must be
// within 30% of the recorded median, and the client count read back from throughput and median
// latency within 30% of the real one. 30% because Bench records the median, not the mean that
// Little's law speaks of: in the run of 2026-12-02 the latency the law predicts is between 0.3% and
// 29% above the median (29% for Part4Epoll at 10 clients, whose mean sits well above its median). A wrong formula misses by a factor of the client count or of 1,000 (units).
// No timing is measured here: the figures are those of the recorded run.

import ExerciseCatalog
@testable import Exercises
import Testing

@Test(.exercise("06-1"))
func exercise06_1_LittlesLaw() {
    check("predicts each recorded run's latency from its throughput", predictsRecordedLatencies)
    check("reads the client count back from throughput and latency", readsBackTheClientCount)
    check("adds think time to the cycle", addsThinkTime)
}

/// The allowed distance between a prediction and the recorded figure, as a fraction.
private let tolerance = 0.30

/// One recorded run: a server at a client count.
private struct Run {
    let server: String
    let clients: Int
    let messagesPerSecond: Double
    let medianLatency: Double  // seconds
}

/// The rows of compare-load.csv that have figures (Part 1 is measured at one client only).
private func recordedRuns() throws -> [Run] {
    let path = "\(ExerciseCatalog.packageRoot)/Chapters/data/compare-load.csv"
    guard let text = readTextFile(atPath: path) else { throw TestFailure("cannot read \(path)") }
    let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
    guard let header = lines.first.map({ csvFields($0) }),
          let server = header.firstIndex(of: "server"), let clients = header.firstIndex(of: "clients"),
          let rate = header.firstIndex(of: "msgs_per_s"), let p50 = header.firstIndex(of: "p50_us") else {
        throw TestFailure("compare-load.csv lacks one of the columns server, clients, msgs_per_s, p50_us")
    }
    let runs = lines.dropFirst().compactMap { line -> Run? in
        let fields = csvFields(line)
        guard fields.count > max(server, clients, rate, p50), let n = Int(fields[clients]),
              let lambda = Double(fields[rate]), let median = Double(fields[p50]), lambda > 0 else { return nil }
        return Run(server: fields[server], clients: n, messagesPerSecond: lambda, medianLatency: median / 1e6)
    }
    guard runs.count >= 5 else { throw TestFailure("compare-load.csv holds only \(runs.count) runs with figures") }
    return runs
}

/// The fields of one CSV line; a field in double quotes may hold commas.
private func csvFields(_ line: Substring) -> [String] {
    var fields: [String] = []
    var field = ""
    var quoted = false
    for character in line {
        switch character {
        case "\"": quoted.toggle()
        case "," where !quoted:
            fields.append(field)
            field = ""
        default: field.append(character)
        }
    }
    fields.append(field)
    return fields
}

/// How far `predicted` is from `recorded`, as a fraction of `recorded`.
private func distance(_ predicted: Double, _ recorded: Double) -> Double {
    abs(predicted - recorded) / recorded
}

private func predictsRecordedLatencies() throws {
    let runs = try recordedRuns()
    let misses = runs.filter { run in
        distance(predictedLatency(clients: run.clients, messagesPerSecond: run.messagesPerSecond), run.medianLatency) > tolerance
    }
    if let run = misses.first {
        let predicted = predictedLatency(clients: run.clients, messagesPerSecond: run.messagesPerSecond)
        Issue.record("""
            \(misses.count) of \(runs.count) recorded runs are more than 30% off. For one: \(run.server) with \
            \(run.clients) clients completed \(Int(run.messagesPerSecond)) msgs/s with a median latency of \
            \(run.medianLatency * 1e6) µs; you predicted \(predicted * 1e6) µs
            """)
    }
}

private func readsBackTheClientCount() throws {
    let runs = try recordedRuns()
    let misses = runs.filter { run in
        distance(messagesInFlight(messagesPerSecond: run.messagesPerSecond, latency: run.medianLatency), Double(run.clients)) > tolerance
    }
    if let run = misses.first {
        let predicted = messagesInFlight(messagesPerSecond: run.messagesPerSecond, latency: run.medianLatency)
        Issue.record("""
            \(misses.count) of \(runs.count) recorded runs are more than 30% off. For one: \(run.server) completed \
            \(Int(run.messagesPerSecond)) msgs/s at a median latency of \(run.medianLatency * 1e6) µs with \
            \(run.clients) clients; you predicted \(predicted)
            """)
    }
}

private func addsThinkTime() {
    // Chapter 1's three simulated clients think a second between chunks; a reply takes 0.2 ms.
    let three = predictedThroughput(clients: 3, latency: 0.000_2, thinkTime: 1)
    #expect(distance(three, 3 / 1.000_2) < 1e-9, "3 clients cycling every 1.0002 s send \(3 / 1.000_2) msgs/s; you predicted \(three)")
    // 10,000 thinking clients against a server that takes 50 ms per reply.
    let many = predictedThroughput(clients: 10_000, latency: 0.05, thinkTime: 1)
    #expect(distance(many, 10_000 / 1.05) < 1e-9, "10,000 clients cycling every 1.05 s send \(10_000 / 1.05) msgs/s; you predicted \(many)")
    // Without think time it is the closed loop again: the two laws must agree.
    let closed = predictedThroughput(clients: 100, latency: 0.001, thinkTime: 0)
    #expect(distance(closed, 100_000) < 1e-9,
            "100 clients with no think time and 1 ms per reply complete 100,000 msgs/s; you predicted \(closed)")
}
