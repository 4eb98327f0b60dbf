// BehaviourTests: what sets each server model apart — who waits for whom.
//
// The conformance suite proves every server gives the same bytes; these tests prove each gives
// them in the order its chapter promises. Part 1 serves one client at a time, so a second client
// connects (the kernel queues it) but hears nothing until the first leaves. Part 2 gives every
// client a thread, so two are served at once; with `--max-clients` it stops accepting when the
// limit is reached and the next client waits in the accept queue instead of being refused.
// Chapter 7's demonstration: sessions with blocking reads on Swift's global pool take its few
// threads, and the next client is accepted but not served until one of them leaves.
// "Hears nothing" is checked over a short window (half a second): a busy machine can only make
// such a check pass more easily, never fail, so the tests stay free of timing assumptions.

import Glibc
import Harness
import ServerCore
import Testing

@Suite("Behaviour: who waits for whom")
struct BehaviourTests {
    @Test("Part 1 greets a second client only after the first has left")
    func sequentialServesOneClientAtATime() throws {
        try withServer("Part1Sequential") { server in
            let first = try TestClient.connectAndGreet(port: server.port)

            // The connection succeeds (the kernel completes it and queues it for accept), but the
            // server is busy with the first client and will not accept, let alone greet, the second.
            let second = try TestClient.connect(port: server.port)
            defer { second.close() }
            try second.send("^abc")  // queued in the kernel too, until the server gets to it
            #expect(try second.received(within: 0.5).isEmpty, "the second client must wait while the first is connected")

            try first.send("^x")
            #expect(try first.receive("y") == "y", "the first client is still being served")
            first.close()

            #expect(try second.receive("*bcd") == "*bcd", "greeted and answered once the first has left")
        }
    }

    @Test("Part 2 serves two clients at once")
    func threadedServesClientsConcurrently() throws {
        try withServer("Part2Threaded") { server in
            let first = try TestClient.connectAndGreet(port: server.port)
            defer { first.close() }
            let second = try TestClient.connectAndGreet(port: server.port)  // while the first is connected
            defer { second.close() }

            // Interleaved: each is answered while the other is still connected and mid-message.
            try second.send("^x")
            #expect(try second.receive("y") == "y")
            try first.send("^a")
            #expect(try first.receive("b") == "b")
            try second.send("yz$")
            #expect(try second.receive("z{") == "z{")
            try first.send("bc$")
            #expect(try first.receive("cd") == "cd")
        }
    }

    @Test("Part 2 with --max-clients 2 makes a third client wait until one of the first two leaves")
    func threadedWithMaxClientsQueuesTheThird() throws {
        try withServer("Part2Threaded", arguments: ["--max-clients", "2"]) { server in
            let first = try TestClient.connectAndGreet(port: server.port)
            let second = try TestClient.connectAndGreet(port: server.port)
            defer { second.close() }

            let third = try TestClient.connect(port: server.port)  // completes: the kernel queues it
            defer { third.close() }
            #expect(try third.received(within: 0.5).isEmpty, "no greeting while two clients are connected")
            #expect(server.waitForOutput(containing: "max clients (2) reached", timeout: 5), "output:\n\(server.output)")

            try second.send("^a")
            #expect(try second.receive("b") == "b", "the clients holding the slots are still served")

            first.close()
            #expect(try third.receive("*", timeout: 10) == "*", "greeted once a slot is free")
            try third.runSeedVector()
            try third.expectNoStrayReplies()
        }
    }

    @Test("Part 2 closes a client it cannot start a thread for, and keeps serving the others")
    func threadedSurvivesFailedThreadCreation() throws {
        // Under a 100 MB address-space limit only a handful of 8 MiB thread stacks fit, so
        // pthread_create fails (EAGAIN) long before 40 clients have a thread each.
        try withServer("Part2Threaded", launcher: ["/usr/bin/prlimit", "--as=100000000", "--"]) { server in
            var clients: [TestClient] = []
            defer { clients.forEach { $0.close() } }
            for _ in 0..<40 { clients.append(try TestClient.connect(port: server.port)) }
            #expect(server.waitForOutput(containing: "closed without service: pthread_create(3) failed", timeout: 10),
                    "output:\n\(server.output)")

            var greeted = 0
            var turnedAway = 0
            for client in clients {
                let first = try client.received(within: 0.3)
                if first == [ProtocolMachine.greeting] {
                    greeted += 1
                } else {
                    #expect(first.isEmpty, "a client without a thread gets nothing, got \(describeBytes(first))")
                    try client.expectClosed(timeout: 5)
                    turnedAway += 1
                }
            }
            #expect(greeted >= 1, "the clients that got a thread are served")
            #expect(turnedAway >= 1, "the clients beyond the limit are closed, not left hanging")
            #expect(server.isRunning)

            // Once the served clients leave, their threads end and a new client gets one.
            clients.forEach { $0.close() }
            clients.removeAll()
            var served = false
            for _ in 0..<50 where !served {
                if let client = try? TestClient.connectAndGreet(port: server.port) {
                    defer { client.close() }
                    try client.runSeedVector()
                    served = true
                } else {
                    usleep(200_000)
                }
            }
            #expect(served, "a new client is served after the others have left")
        }
    }

    @Test("AsyncAwaitServer --blocking-on-global-pool: quiet clients hold the pool's threads, the next waits for one to leave")
    func blockingReadsStarveTheCooperativePool() throws {
        try withServer("AsyncAwaitServer", arguments: ["--blocking-on-global-pool", "--drain-timeout", "1"]) { server in
            // Each greeted client's session then sits in a blocking read(2), holding one of the
            // global pool's threads (about one per core). Connect until a client is not greeted.
            let limit = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) + 4
            var served: [TestClient] = []
            defer { served.forEach { $0.close() } }
            var waiting: TestClient?
            defer { waiting?.close() }
            while waiting == nil && served.count < limit {
                let client = try TestClient.connect(port: server.port)
                if (try? client.receive(exactly: 1, timeout: 2)) == [ProtocolMachine.greeting] {
                    served.append(client)
                } else {
                    waiting = client
                }
            }
            guard let waiting else {
                Issue.record("""
                    \(served.count) quiet clients each hold a pool thread in a blocking read, and the next \
                    was still greeted: the pool never ran out. Output:\n\(server.output)
                    """)
                return
            }
            #expect(served.count >= 1, "the first client must be served; output:\n\(server.output)")
            let clients = served.count + 1

            // The accept loop runs on our own executor, not the pool: the waiting client was accepted.
            #expect(server.waitForOutput(containing: "connected (\(clients) active)", timeout: 5),
                    "the server must accept the client it cannot serve; output:\n\(server.output)")

            // One served client leaves: its session ends, its thread returns to the pool, and the
            // waiting session starts on it.
            served.removeFirst().close()
            #expect(try waiting.receive("*") == "*", "greeted once a pool thread came back")
            try waiting.runSeedVector()

            // Shutdown with sessions blocked in read: the drain times out, the server shuts their
            // sockets down so the reads return, and it exits with the summary.
            server.send(signal: SIGINT)
            #expect(server.waitForExit(timeout: 20) == 0, "exit status; output:\n\(server.output)")
            let lines = server.output.split(separator: "\n")
            #expect(lines.last?.hasPrefix("summary: served \(clients) clients") == true,
                    "the summary must be the last line; output:\n\(server.output)")
        }
    }
}
