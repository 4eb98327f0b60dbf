// EveryCoreTests: Chapter 8's servers — several event loops, a worker pool, several schedulers.
//
// The conformance list already runs every session against `Part4Epoll --loops 2`,
// `Part4Epoll --offload 2 --work 50` and `Part5StateThreads --schedulers 2` (and against servers
// whose messages cost `--work`), so the bytes are covered there. Here: that the kernel really
// spreads clients over the loops (read from the loops' connect lines), that a shutdown drains
// every loop, and that `--work` is CPU the server spends, not a sleep.

import Glibc
import Harness
import ServerCore
import Testing

/// The loop or scheduler (the number in `[loop 1]`) that logged `client`'s connect line.
private func loopIndex(of client: TestClient, in output: String, tag: String) throws -> Int? {
    let port = try client.socket.localAddress().port
    for line in output.split(separator: "\n") where line.contains(":\(port) connected") {
        guard let start = line.firstRange(of: "[\(tag) ") else { return nil }
        return Int(line[start.upperBound...].prefix { $0.isNumber })
    }
    return nil
}

@Suite("Every core: several loops and schedulers, a worker pool, work per message")
struct EveryCoreTests {
    /// A server with two loops (or schedulers), and the word its log lines use for one.
    static let twoLoopServers: [(variant: String, tag: String)] = [
        ("Part4Epoll --loops 2", "loop"),
        ("Part4Epoll --loops 2 --offload 2 --work 50", "loop"),
        ("Part5StateThreads --schedulers 2", "scheduler"),
    ]

    @Test("SO_REUSEPORT spreads 40 clients over both loops, and each loop logs its own", arguments: twoLoopServers)
    func bothLoopsServe(server: (variant: String, tag: String)) throws {
        try withServer(variant: server.variant) { process in
            var clients: [TestClient] = []
            defer { clients.forEach { $0.close() } }
            for _ in 0..<40 {
                let client = try TestClient.connectAndGreet(port: process.port)
                clients.append(client)
                try client.send("^ab$")
                #expect(try client.receive("bc") == "bc")
            }
            let output = process.output
            var perLoop = [0, 0]
            for client in clients {
                let index = try loopIndex(of: client, in: output, tag: server.tag)
                try #require(index == 0 || index == 1, "no '[\(server.tag) N] ... connected' line for a client; output:\n\(output)")
                perLoop[index!] += 1
            }
            // The kernel picks a listener by a hash of each connection's ports: all 40 on one
            // loop would happen with probability 2^-39.
            #expect(perLoop[0] > 0 && perLoop[1] > 0, "clients per \(server.tag): \(perLoop)")
        }
    }

    @Test("SIGTERM drains every loop: a client in mid-message on each gets its answers, then the summary, exit 0",
          arguments: twoLoopServers)
    func shutdownDrainsEveryLoop(server: (variant: String, tag: String)) throws {
        let words = server.variant.split(separator: " ").map(String.init)
        try Harness.withServer(words[0], arguments: Array(words.dropFirst()) + ["--drain-timeout", "20"]) { process in
            // Connect until one client sits on each loop; close the others.
            var onLoop: [Int: TestClient] = [:]
            var spare: [TestClient] = []
            for _ in 0..<64 where onLoop.count < 2 {
                let client = try TestClient.connectAndGreet(port: process.port)
                let index = try loopIndex(of: client, in: process.output, tag: server.tag)
                if let index, onLoop[index] == nil { onLoop[index] = client } else { spare.append(client) }
            }
            spare.forEach { $0.close() }
            try #require(onLoop.count == 2, "no client landed on one of the loops in 64 tries; output:\n\(process.output)")
            for client in onLoop.values {
                try client.send("^ab")
                #expect(try client.receive("bc") == "bc")
            }

            process.send(signal: SIGTERM)
            for index in 0..<2 {
                try #require(process.waitForOutput(containing: "[\(server.tag) \(index)] SIGTERM: no longer accepting", timeout: 10),
                             "\(server.tag) \(index) did not hear the signal; output:\n\(process.output)")
            }
            for client in onLoop.values {
                try client.send("cd$")  // finishes the message begun before the signal
                #expect(try client.receive("de") == "de")
                client.close()
            }
            let status = process.waitForExit(timeout: 20)
            #expect(status == 0, "exit status; output:\n\(process.output)")
            let lines = process.output.split(separator: "\n")
            let served = 2 + spare.count
            #expect(lines.last?.hasPrefix("summary: served \(served) clients") == true,
                    "the summary, adding up both \(server.tag)s, must be the last line; output:\n\(process.output)")
        }
    }

    @Test("--work is CPU the server spends: 100 messages at 2 ms each cost it at least 0.1 s of CPU time",
          arguments: ["Part2Threaded --work 2000", "Part4Epoll --work 2000", "Part4Epoll --offload 1 --work 2000",
                      "Part5StateThreads --work 2000"])
    func workSpendsProcessorTime(variant: String) throws {
        try withServer(variant: variant) { process in
            let client = try TestClient.connectAndGreet(port: process.port)
            defer { client.close() }
            let before = try process.sampler.cpuSeconds()
            for _ in 0..<100 {
                try client.send("^ab$")
                #expect(try client.receive("bc") == "bc")
            }
            let spent = try process.sampler.cpuSeconds() - before
            // 0.2 s of work; half of it is a bound no sleep could meet and any busy loop does.
            #expect(spent >= 0.1, "the server spent \(spent) s of CPU on 100 messages of 2 ms of work")
        }
    }
}
