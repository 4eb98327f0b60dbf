// PoolBehaviourTests: what Part 3's pool promises from the outside — a fixed number of clients
// served at once, a few more waiting their turn, and workers that outlive their clients.
//
// Black box, like BehaviourTests: "hears nothing" is checked over a short window, which a busy
// machine can only make easier to pass, and every wait for something to happen has a generous
// timeout, so no assertion depends on how fast the machine is.

import Glibc
import Harness
import ServerCore
import Testing

@Suite("Behaviour: Part 3's pool")
struct PoolBehaviourTests {
    @Test("with --threads 2 --queue-capacity 1, a third client waits unserved until one of the first two leaves")
    func poolOfTwoQueuesTheThird() throws {
        try withServer("Part3Pool", arguments: ["--threads", "2", "--queue-capacity", "1"]) { server in
            let first = try TestClient.connectAndGreet(port: server.port)
            let second = try TestClient.connectAndGreet(port: server.port)
            defer { second.close() }

            // Accepted and queued, but both workers are busy: connected, no greeting.
            let third = try TestClient.connect(port: server.port)
            defer { third.close() }
            try third.send("^abc$")
            #expect(try third.received(within: 0.5).isEmpty, "no greeting while both workers are busy")
            // The queue of 1 is now full, so the accept loop stops and says so.
            #expect(server.waitForOutput(containing: "pool saturated", timeout: 5), "output:\n\(server.output)")

            try second.send("^a")
            #expect(try second.receive("b") == "b", "the clients holding the workers are still served")

            first.close()
            #expect(try third.receive("*bcd", timeout: 10) == "*bcd", "greeted and answered once a worker is free")
            #expect(server.waitForOutput(containing: "pool has room again", timeout: 5), "output:\n\(server.output)")
            try third.runSeedVector()
            try third.expectNoStrayReplies()
        }
    }

    @Test("a saturated pool leaves further clients in the kernel backlog, and serves them in turn")
    func saturatedPoolServesTheBacklogInTurn() throws {
        try withServer("Part3Pool", arguments: ["--threads", "1", "--queue-capacity", "1"]) { server in
            let served = try TestClient.connectAndGreet(port: server.port)
            let queued = try TestClient.connect(port: server.port)    // accepted, in the pool's queue
            #expect(server.waitForOutput(containing: "pool saturated", timeout: 5), "output:\n\(server.output)")
            let backlogged = try TestClient.connect(port: server.port)  // never accepted yet: the kernel holds it
            defer { backlogged.close() }
            #expect(try queued.received(within: 0.3).isEmpty)
            #expect(try backlogged.received(within: 0.3).isEmpty)

            // One worker: each client is served only after the one before it has left.
            served.close()
            #expect(try queued.receive("*", timeout: 10) == "*")
            #expect(try backlogged.received(within: 0.3).isEmpty, "the backlogged client waits for the worker too")
            queued.close()
            #expect(try backlogged.receive("*", timeout: 10) == "*")
            try backlogged.runSeedVector()
        }
    }

    @Test("a worker whose client resets mid-message logs it and serves the next client")
    func workerSurvivesAResetClient() throws {
        try withServer("Part3Pool", arguments: ["--threads", "1"]) { server in
            for round in 1...3 {
                let client = try TestClient.connectAndGreet(port: server.port)
                try client.send("^abc")
                #expect(try client.receive("bcd") == "bcd", "round \(round)")
                try client.send("de")
                client.reset()  // RST: the worker's next read or write fails with ECONNRESET
            }
            // The single worker must still be there, and must have said what happened.
            let last = try TestClient.connectAndGreet(port: server.port)
            defer { last.close() }
            try last.runSeedVector()
            let loggedTheError = waitUntil(timeout: 5) {
                let output = server.output
                return output.contains("Connection reset by peer") || output.contains("Broken pipe")
            }
            #expect(loggedTheError, "the worker should log each client's failure; output:\n\(server.output)")
            #expect(server.isRunning)
        }
    }

    @Test("rejects a pool without workers or a queue without room", arguments: [["--threads", "0"], ["--queue-capacity", "0"]])
    func rejectsEmptyPool(arguments: [String]) throws {
        #expect(throws: HarnessError.self) { try ServerProcess("Part3Pool", arguments: arguments) }
    }
}
