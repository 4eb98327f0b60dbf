// EventDrivenTests: what a server on one thread that waits for readiness promises beyond
// speaking the protocol, held against Part 4's event loop and Part 5's green threads alike.
//
// Part 5 reads like Part 2 (a thread per client) but must cost what Part 4 costs, so both face
// the same tests. One thread serves everyone, so each test checks that no single client (or a
// crowd of them) can take that thread or the process's memory and descriptors away from the
// others: a thousand clients at once; a client that sends without ever reading (Part 4 caps its
// buffered replies; Part 5's green thread blocks in write and so stops reading: either way the
// server's memory stays bounded); a flood that exhausts the server's descriptors (it pauses
// accepting instead of crashing or spinning, logs that once, and recovers); an idle client closed
// by the idle timer while a chatty one is kept; a second signal that ends the drain at once. The
// graceful shutdown with clients in mid-message and the drain timeout are the shutdown contract
// (ShutdownTests), which covers these servers too. Bounds on time and CPU are generous: they can only catch a server
// that is wrong, never one that is merely slow on a busy machine.

import Glibc
import Harness
import ServerCore
import Testing

@Suite("Behaviour: event-driven servers (Part 4's event loop, Part 5's green threads)")
struct EventDrivenTests {
    @Test("serves 1,000 clients connected at once, each through the whole seed vector", arguments: Servers.eventDriven)
    func thousandClientsAtOnce(server name: String) throws {
        let clientCount = 1000
        try raiseDescriptorLimit(to: 2 * clientCount + 200)  // our ends, and the server's
        try withServer(name) { server in
            let started = MonotonicClock.now()
            var clients: [TestClient] = []
            clients.reserveCapacity(clientCount)
            defer { clients.forEach { $0.close() } }

            // Everyone connects and is greeted before anyone sends: all 1,000 are connected at once.
            for _ in 0..<clientCount {
                clients.append(try TestClient.connectAndGreet(port: server.port))
            }
            // Then each chunk of the seed vector goes to every client before any reply is read, so
            // the server has 1,000 conversations in flight in the same state (for Part 5, 1,000
            // green threads parked in read at once).
            for (input, reply) in seedConversation {
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
            print("\(name): \(clientCount) concurrent clients ran the seed vector in \(Int((MonotonicClock.now() - started) * 1000)) ms; \(summary)")
        }
    }

    @Test("a client that sends 10 MB without reading leaves the server's memory bounded and others served",
          arguments: Servers.eventDriven)
    func slowReaderCostsBoundedMemory(server name: String) throws {
        try withServer(name) { server in  // Part 4: --max-pending 64 KiB, the default
            // Warm up: one full conversation, so the baseline includes the allocations every
            // connection makes (and, for Part 4, its loop's 64 KiB read buffer, now touched).
            let warmUp = try TestClient.connectAndGreet(port: server.port)
            try warmUp.send("^" + String(repeating: "a", count: 64 * 1024) + "$")
            _ = try warmUp.receive(exactly: 64 * 1024)
            warmUp.close()
            let baseline = try server.sampler.sample().residentBytes / 1024

            // Small client buffers, so the kernel holds little and the stall comes quickly. Every
            // byte after "^" earns a one-byte reply the client never reads.
            let slow = try TestClient.connect(port: server.port, receiveBufferSize: 16 * 1024, sendBufferSize: 64 * 1024)
            defer { slow.reset() }
            try slow.send("^")
            let (sent, blocked) = try slow.sendUntilBlocked(filler: UInt8(ascii: "a"), limit: 10 * 1024 * 1024, stallTime: 2)
            #expect(blocked, "the server read all 10 MB of a client that reads nothing: no back-pressure")

            // The one thread is not stuck on the slow client (for Part 5, only the slow client's
            // green thread is parked, in write): another is served normally.
            let other = try TestClient.connectAndGreet(port: server.port)
            defer { other.close() }
            try other.runSeedVector()
            try other.expectNoStrayReplies()

            // Bound: Part 4 caps the slow client's pending replies at 64 KiB; Part 5's parked thread
            // holds one read's replies (at most 1 KiB, the size of its read buffer on its own
            // stack). Part 4's read buffer is already counted, so growth should stay within a few hundred KiB
            // (allocator rounding, the array's growth). 2 MiB leaves room for malloc's arenas and
            // still fails a server that buffers even a fifth of what it was sent.
            let now = try server.sampler.sample().residentBytes / 1024
            let growth = now - baseline
            #expect(growth < 2048, "VmRSS grew by \(growth) kB (from \(baseline) kB) after the client sent \(sent) bytes")
            print("\(name): slow reader sent \(sent) bytes before stalling; VmRSS \(baseline) kB -> \(now) kB (+\(growth) kB)")
            #expect(server.isRunning)
        }
    }

    @Test("survives running out of descriptors, without spinning, and serves again once the flood leaves",
          arguments: Servers.waitForDescriptors)
    func survivesDescriptorExhaustion(server name: String) throws {
        // Started under a limit of 64 descriptors: about 58 clients fit beside stdin, stdout,
        // stderr, the listener, epoll and the signalfd.
        try withServer(name, launcher: ["/usr/bin/prlimit", "--nofile=64", "--"]) { server in

            // 150 clients: more than the server can accept; the rest wait in the kernel's accept
            // queue (--backlog, 4096 by default), so every connect completes.
            var flood: [TestClient] = []
            defer { flood.forEach { $0.close() } }
            for _ in 0..<150 { flood.append(try TestClient.connect(port: server.port)) }
            #expect(server.waitForOutput(containing: "Too many open files", timeout: 10), "output:\n\(server.output)")

            // While the flood holds every descriptor, the server waits instead of retrying accept
            // in a loop. A spinning loop would burn close to a CPU-second per second; an idle one
            // uses next to nothing.
            let cpuBefore = try server.sampler.cpuSeconds()
            usleep(2_000_000)
            let cpuAfter = try server.sampler.cpuSeconds()
            #expect(cpuAfter - cpuBefore < 0.3, "the server used \(cpuAfter - cpuBefore) s of CPU in 2 s while out of descriptors")
            #expect(server.isRunning)
            #expect(server.output.components(separatedBy: "Too many open files").count == 2, "the shortage is logged once")

            flood.forEach { $0.close() }
            flood.removeAll()

            // The queued clients are accepted (and found closed) as descriptors free up, then the
            // newcomer gets a normal session.
            let newcomer = try TestClient.connect(port: server.port)
            defer { newcomer.close() }
            #expect(try newcomer.receive(exactly: 1, timeout: 30) == [ProtocolMachine.greeting])
            try newcomer.runSeedVector()
            try newcomer.expectNoStrayReplies()
            #expect(server.isRunning)
        }
    }

    @Test("--idle-timeout 1 closes an idle client and keeps an active one", arguments: Servers.eventDriven)
    func idleTimeoutClosesOnlyIdleClients(server name: String) throws {
        try withServer(name, arguments: ["--idle-timeout", "1"]) { server in
            let idle = try TestClient.connectAndGreet(port: server.port)
            defer { idle.close() }
            let active = try TestClient.connectAndGreet(port: server.port)
            defer { active.close() }

            // The active client talks every 0.1 s for 2.5 s: never close to a second of silence.
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
            try active.runSeedVector()  // still connected and served after the idle one was closed
        }
    }

    @Test("a second signal ends the drain at once", arguments: Servers.eventDriven)
    func secondSignalEndsTheDrain(server name: String) throws {
        // (The drain timeout itself is the shutdown contract's, over every server: ShutdownTests.)
        try withServer(name, arguments: ["--drain-timeout", "60"]) { second in
            let client = try TestClient.connectAndGreet(port: second.port)
            defer { client.close() }
            second.send(signal: SIGTERM)
            #expect(second.waitForOutput(containing: "SIGTERM: no longer accepting", timeout: 10))
            second.send(signal: SIGTERM)
            #expect(second.waitForExit(timeout: 10) == 0, "a second signal must not wait out the 60 s drain; output:\n\(second.output)")
            #expect(second.output.contains("SIGTERM again: closing the remaining connections now"))
        }
    }
}
