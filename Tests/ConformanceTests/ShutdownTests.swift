// ShutdownTests: SIGTERM and SIGINT end every server gracefully.
//
// The promise (Chapter 3, and Chapters 4 and 5 for the event-driven servers): on the signal a
// server stops accepting — new connections are
// refused — lets the clients it is serving finish for up to --drain-timeout seconds, then shuts
// down the sockets of those still there, prints the summary line last, and exits 0. Clients it
// never started serving (Part 1's backlog, Part 3's queue) are closed without a greeting.
// Every wait has a generous bound; the only time asserted is "exits within the drain timeout".

import Glibc
import Harness
import ServerCore
import Testing

@Suite("Shutdown: SIGTERM/SIGINT drain the clients, print the summary, exit 0")
struct ShutdownTests {
    @Test("two clients in mid-message get their messages answered after SIGTERM, then the server exits 0",
          arguments: Servers.concurrent)  // Part 3 with its default pool of 4
    func twoActiveClientsFinish(server name: String) throws {
        try withServer(name, arguments: ["--drain-timeout", "20"]) { server in
            let first = try TestClient.connectAndGreet(port: server.port)
            let second = try TestClient.connectAndGreet(port: server.port)
            try first.send("^ab")
            #expect(try first.receive("bc") == "bc")
            try second.send("^xy")
            #expect(try second.receive("yz") == "yz")

            server.send(signal: SIGTERM)
            try #require(server.waitForOutput(containing: "SIGTERM: no longer accepting", timeout: 10))
            #expect(throws: (any Error).self, "a new connection must be refused once shutdown began") {
                let late = try TestClient.connect(port: server.port, timeout: 2)
                late.close()
            }

            // The messages in flight are finished and answered after the signal.
            try first.send("cd$")
            #expect(try first.receive("de") == "de")
            try second.send("z$^A$")
            #expect(try second.receive("{B") == "{B")
            first.close()
            second.close()

            let status = server.waitForExit(timeout: 20)  // the drain timeout: they left long before
            #expect(status == 0, "exit status; output:\n\(server.output)")
            let lines = server.output.split(separator: "\n")
            #expect(lines.last?.hasPrefix("summary: served 2 clients, answered 10 bytes, peak 2 concurrent clients") == true,
                    "the summary must be the last line; output:\n\(server.output)")
        }
    }

    @Test("Part 1 finishes the client it is serving; the one waiting in the backlog is never greeted")
    func sequentialFinishesItsClientAndDropsTheBacklog() throws {
        try withServer("Part1Sequential", arguments: ["--drain-timeout", "20"]) { server in
            let served = try TestClient.connectAndGreet(port: server.port)
            try served.send("^ab")
            #expect(try served.receive("bc") == "bc")
            let waiting = try TestClient.connect(port: server.port)  // in the kernel's backlog
            defer { waiting.close() }

            server.send(signal: SIGTERM)
            try #require(server.waitForOutput(containing: "SIGTERM: no longer accepting", timeout: 10))
            try waiting.expectClosed(timeout: 10)  // reset by the kernel, with no greeting before it

            try served.send("cd$")
            #expect(try served.receive("de") == "de")
            served.close()

            #expect(server.waitForExit(timeout: 20) == 0, "exit status; output:\n\(server.output)")
            let lines = server.output.split(separator: "\n")
            #expect(lines.last?.hasPrefix("summary: served 1 clients, answered 5 bytes, peak 1 concurrent clients") == true,
                    "the summary must be the last line; output:\n\(server.output)")
        }
    }

    @Test("Part 3 closes clients still in its queue without serving them")
    func poolClosesQueuedClients() throws {
        try withServer("Part3Pool", arguments: ["--threads", "1", "--queue-capacity", "4", "--drain-timeout", "20"]) { server in
            let served = try TestClient.connectAndGreet(port: server.port)
            let queued = try TestClient.connect(port: server.port)
            defer { queued.close() }
            #expect(try queued.received(within: 0.3).isEmpty, "one worker, busy: the second client is queued")

            server.send(signal: SIGTERM)
            try queued.expectClosed(timeout: 10)
            #expect(server.waitForOutput(containing: "closed without service: shutting down", timeout: 10))

            try served.runSeedVector()
            served.close()
            #expect(server.waitForExit(timeout: 20) == 0, "exit status; output:\n\(server.output)")
            #expect(server.output.contains("summary: served 1 clients"), "output:\n\(server.output)")
        }
    }

    @Test("after --drain-timeout, SIGINT shuts down a client that stays, and the server still exits 0",
          arguments: Servers.all)
    func drainTimeoutEndsIdleClients(server name: String) throws {
        try withServer(name, arguments: ["--drain-timeout", "1"]) { server in
            let idle = try TestClient.connectAndGreet(port: server.port)
            defer { idle.close() }
            try idle.send("^ab")
            #expect(try idle.receive("bc") == "bc")

            server.send(signal: SIGINT)
            try idle.expectClosed(timeout: 15)  // the server shuts the socket down after 1 s
            #expect(server.waitForExit(timeout: 15) == 0, "exit status; output:\n\(server.output)")
            let output = server.output
            #expect(output.contains("SIGINT: no longer accepting; letting 1 clients finish"), "output:\n\(output)")
            #expect(output.contains("drain timeout: closing 1 client connections"), "output:\n\(output)")
            #expect(output.split(separator: "\n").last?.hasPrefix("summary: served 1 clients, answered 3 bytes") == true,
                    "output:\n\(output)")
            if Servers.eventDriven.contains(name) {
                // Parts 4 and 5 end the session themselves, and their disconnect line says why.
                #expect(output.contains("disconnected (3 bytes in, 3 bytes out, closed at shutdown)"), "output:\n\(output)")
            }
        }
    }

    @Test("a server with no clients exits 0 at once on SIGTERM", arguments: Servers.all)
    func idleServerExits(server name: String) throws {
        // The signal comes right after `listening on`: every server blocks SIGINT and SIGTERM
        // before printing it, so the signal waits for the shutdown code instead of killing it.
        try withServer(name) { server in
            server.send(signal: SIGTERM)
            #expect(server.waitForExit(timeout: 10) == 0, "exit status; output:\n\(server.output)")
            #expect(server.output.hasSuffix("summary: served 0 clients, answered 0 bytes, peak 0 concurrent clients\n"),
                    "output:\n\(server.output)")
        }
    }
}
