// GreenServerTests: Part 5 keeps the promises Part 4's event loop keeps, and so do Chapter 7's
// AsyncAwaitServer and SwiftNIOServer (each test runs once per server in `servers`).
//
// Part 5 reads like Part 2 (a thread per client) but must cost what Part 4 costs, so it faces
// Part 4's behaviour tests: a thousand clients at once; a client that sends without reading
// (its green thread blocks in write, so it stops reading: memory stays bounded); a flood that
// exhausts the server's descriptors (the accept loop waits instead of spinning, and recovers);
// an idle client closed by --idle-timeout while an active one is kept; the graceful shutdown.
// Bounds on time and CPU are generous: they catch a wrong server, never a slow machine.

import Glibc
import ServerCore
import Testing

@Suite("Behaviour: Part 5's green threads, and Chapter 7's servers")
struct GreenServerTests {
    /// Part 5, and Chapter 7's servers, which promise the same.
    static let servers = ["Part5StateThreads", "AsyncAwaitServer", "SwiftNIOServer"]

    @Test("serves 1,000 clients connected at once, each through the whole seed vector", arguments: servers)
    func thousandClientsAtOnce(server name: String) throws {
        let clientCount = 1000
        try raiseDescriptorLimit(to: 2 * clientCount + 200)
        let server = try ServerProcess(name)
        defer { server.kill() }
        var clients: [TestClient] = []
        clients.reserveCapacity(clientCount)
        defer { clients.forEach { $0.close() } }
        for _ in 0..<clientCount {
            clients.append(try TestClient.connectAndGreet(port: server.port))
        }
        // Each chunk goes to every client before any reply is read: 1,000 green threads parked
        // in read at once, all in the same protocol state.
        for (input, reply) in seedChunks {
            for client in clients { try client.send(input) }
            for (index, client) in clients.enumerated() {
                let got = try client.receive(reply, timeout: 30)
                #expect(got == reply, "client \(index): sent \"\(input)\", expected \"\(reply)\"")
            }
        }
        for client in clients { try client.expectNoStrayReplies() }
        clients.forEach { $0.close() }
        clients.removeAll()

        server.send(signal: SIGTERM)
        #expect(server.waitForExit(timeout: 30) == 0, "output tail:\n\(server.output.suffix(2000))")
        let summary = "summary: served \(clientCount) clients, answered \(clientCount * 20) bytes, peak \(clientCount) concurrent clients"
        #expect(server.output.contains(summary), "output tail:\n\(server.output.suffix(2000))")
    }

    @Test("a client that sends 10 MB without reading leaves the server's memory bounded and others served", arguments: servers)
    func slowReaderCostsBoundedMemory(server name: String) throws {
        let server = try ServerProcess(name)
        defer { server.kill() }
        let warmUp = try TestClient.connectAndGreet(port: server.port)
        try warmUp.send("^" + String(repeating: "a", count: 64 * 1024) + "$")
        _ = try warmUp.receive(exactly: 64 * 1024)
        warmUp.close()
        let baseline = try #require(statusKilobytes("VmRSS", pid: server.pid))

        let slow = try TestClient.connect(port: server.port, receiveBufferSize: 16 * 1024, sendBufferSize: 64 * 1024)
        defer { slow.reset() }
        try slow.send("^")
        let (sent, blocked) = try slow.sendUntilBlocked(filler: UInt8(ascii: "a"), limit: 10 * 1024 * 1024, stallTime: 2)
        #expect(blocked, "the server read all 10 MB of a client that reads nothing: no back-pressure")

        // Only the slow client's green thread is parked (in write); everyone else is served.
        let other = try TestClient.connectAndGreet(port: server.port)
        defer { other.close() }
        try other.runSeedVector()
        try other.expectNoStrayReplies()

        // The parked thread holds one read's replies (at most 64 KiB: the shared read buffer's
        // size), so growth stays far below what the client sent.
        let now = try #require(statusKilobytes("VmRSS", pid: server.pid))
        let growth = now - baseline
        #expect(growth < 2048, "VmRSS grew by \(growth) kB (from \(baseline) kB) after the client sent \(sent) bytes")
        #expect(server.isRunning)
    }

    /// Not SwiftNIOServer: on NIO 2.101, an accept that fails with EMFILE leaves the server
    /// channel's read pending, so AcceptBackoffHandler's hold never takes effect and the loop
    /// retries accept4 some 13,000 times a second until a descriptor frees up (strace, Chapter 7).
    static let serversThatWaitForDescriptors = servers.filter { $0 != "SwiftNIOServer" }

    @Test("survives running out of descriptors, without spinning, and serves again once the flood leaves",
          arguments: serversThatWaitForDescriptors)
    func survivesDescriptorExhaustion(server name: String) throws {
        // 64 descriptors: stdin, stdout, stderr, the listener, epoll and the signalfd leave ~58.
        let server = try ServerProcess(name, launcher: ["/usr/bin/prlimit", "--nofile=64", "--"])
        defer { server.kill() }
        var flood: [TestClient] = []
        defer { flood.forEach { $0.close() } }
        for _ in 0..<150 { flood.append(try TestClient.connect(port: server.port)) }
        #expect(server.waitForOutput(containing: "Too many open files", timeout: 10), "output:\n\(server.output)")

        let cpuBefore = try #require(cpuSeconds(pid: server.pid))
        usleep(2_000_000)
        let cpuAfter = try #require(cpuSeconds(pid: server.pid))
        #expect(cpuAfter - cpuBefore < 0.3, "the server used \(cpuAfter - cpuBefore) s of CPU in 2 s while out of descriptors")
        #expect(server.isRunning)
        #expect(server.output.components(separatedBy: "Too many open files").count == 2, "the shortage is logged once")

        flood.forEach { $0.close() }
        flood.removeAll()
        let newcomer = try TestClient.connect(port: server.port)
        defer { newcomer.close() }
        #expect(try newcomer.receive("*", timeout: 30) == "*")
        try newcomer.runSeedVector()
        try newcomer.expectNoStrayReplies()
        #expect(server.isRunning)
    }

    @Test("--idle-timeout 1 closes an idle client and keeps an active one", arguments: servers)
    func idleTimeoutClosesOnlyIdleClients(server name: String) throws {
        let server = try ServerProcess(name, arguments: ["--idle-timeout", "1"])
        defer { server.kill() }
        let idle = try TestClient.connectAndGreet(port: server.port)
        defer { idle.close() }
        let active = try TestClient.connectAndGreet(port: server.port)
        defer { active.close() }
        try active.send("^")
        for index in 0..<25 {
            let byte = UInt8(ascii: "a") + UInt8(index % 26)
            try active.send([byte])
            #expect(try active.receive(exactly: 1, timeout: 10) == [byte &+ 1])
            usleep(100_000)
        }
        try idle.expectClosed(timeout: 10)
        #expect(server.waitForOutput(containing: "idle for 1.0 s", timeout: 5), "output:\n\(server.output)")
        try active.send("$")
        try active.runSeedVector()
    }

    @Test("on SIGTERM stops accepting, lets a connected client finish, then exits 0 with the summary", arguments: servers)
    func gracefulShutdown(server name: String) throws {
        let server = try ServerProcess(name)
        defer { server.kill() }
        let client = try TestClient.connectAndGreet(port: server.port)
        defer { client.close() }  // a no-op after the close below: TestClient closes once
        try client.send("^ab")
        #expect(try client.receive("bc") == "bc")

        server.send(signal: SIGTERM)
        #expect(server.waitForOutput(containing: "SIGTERM: no longer accepting", timeout: 10), "output:\n\(server.output)")
        #expect(throws: (any Error).self) { _ = try TestClient.connect(port: server.port) }
        try client.send("c$")
        #expect(try client.receive("d") == "d")
        client.close()
        #expect(server.waitForExit(timeout: 10) == 0, "output:\n\(server.output)")
        let lines = server.output.split(separator: "\n")
        #expect(lines.last == "summary: served 1 clients, answered 4 bytes, peak 1 concurrent clients",
                "output:\n\(server.output)")
    }

    @Test("the drain timeout ends a client that stays, and a second signal ends the drain at once", arguments: servers)
    func drainTimeoutAndSecondSignal(server name: String) throws {
        let server = try ServerProcess(name, arguments: ["--drain-timeout", "1"])
        defer { server.kill() }
        let stays = try TestClient.connectAndGreet(port: server.port)
        defer { stays.close() }
        server.send(signal: SIGINT)
        #expect(server.waitForOutput(containing: "drain timeout: closing 1 client connections", timeout: 10), "output:\n\(server.output)")
        try stays.expectClosed(timeout: 10)
        #expect(server.waitForExit(timeout: 10) == 0, "output:\n\(server.output)")
        #expect(server.output.contains("disconnected (0 bytes in, 1 bytes out, closed at shutdown)"), "output:\n\(server.output)")

        let second = try ServerProcess(name, arguments: ["--drain-timeout", "60"])
        defer { second.kill() }
        let client = try TestClient.connectAndGreet(port: second.port)
        defer { client.close() }
        second.send(signal: SIGTERM)
        #expect(second.waitForOutput(containing: "SIGTERM: no longer accepting", timeout: 10))
        second.send(signal: SIGTERM)
        #expect(second.waitForExit(timeout: 10) == 0, "a second signal must not wait out the 60 s drain; output:\n\(second.output)")
        #expect(second.output.contains("SIGTERM again: closing the remaining connections now"))
    }
}
