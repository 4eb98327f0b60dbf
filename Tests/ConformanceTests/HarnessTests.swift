// HarnessTests: the harness checked on its own, since every server suite leans on it.
//
// If `ServerProcess` failed to notice a dead server, or `TestClient` waited forever instead of
// failing, the conformance suites would pass or hang for the wrong reasons. These tests pin the
// parts whose failure would be silent.

import Glibc
import Harness
import ServerCore
import Testing

@Suite("Harness: ServerProcess and TestClient")
struct HarnessTests {
    @Test("a server is started on a free port, counted, killed once, and reported as gone")
    func lifecycle() throws {
        let server = try ServerProcess("Part1Sequential")
        defer { server.kill() }
        #expect(server.port != 0)
        #expect(server.isRunning)
        #expect(server.output.hasPrefix("listening on 127.0.0.1:\(server.port)\n"))
        #expect(server.openDescriptorCount() >= 4, "stdin, stdout, stderr and the listening socket")

        let client = try TestClient.connectAndGreet(port: server.port)
        defer { client.close() }
        #expect(server.waitForOutput(containing: "connected", timeout: 10))

        #expect(server.waitForExit(timeout: 0.1) == nil, "still running")
        server.send(signal: SIGKILL)
        #expect(server.waitForExit(timeout: 10) == 128 + SIGKILL)
        try client.expectClosed(timeout: 10)  // the kernel closed the dead server's end
        server.kill()  // idempotent, and harmless after the process has been reaped
        #expect(!server.isRunning)
        #expect(server.openDescriptorCount() == -1)
    }

    @Test("a server that exits before listening fails the start with its output")
    func failedStart() {
        #expect {
            _ = try ServerProcess("Part1Sequential", arguments: ["--backlog", "0"])
        } throws: { error in
            "\(error)".contains("exited") && "\(error)".contains("backlog")
        }
    }

    @Test("an executable that was not built is reported by path")
    func missingExecutable() {
        #expect(throws: HarnessError.self) { _ = try ServerProcess("NoSuchServer") }
    }

    @Test("connect gives up after its timeout when the accept queue is full")
    func connectTimeout() throws {
        // A listener that never accepts, with the smallest queue: once the queue is full the
        // kernel drops further handshakes, and only the timeout ends the wait.
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 1)
        defer { listener.close() }
        let port = try listener.localAddress().port
        var queued: [TestClient] = []
        defer { queued.forEach { $0.close() } }
        var timedOut = false
        for _ in 0..<16 {
            do {
                queued.append(try TestClient.connect(port: port, timeout: 0.5))
            } catch is HarnessError {
                timedOut = true
                break
            }
        }
        #expect(timedOut, "\(queued.count) connections completed to a listener that never accepts")
    }

    @Test("receive fails with a message when bytes do not arrive in time")
    func receiveTimeout() throws {
        try withServer("Part2Threaded") { server in
            let client = try TestClient.connectAndGreet(port: server.port)
            defer { client.close() }
            try client.send("^ab")  // earns two bytes, not three
            #expect {
                _ = try client.receive(exactly: 3, timeout: 0.3)
            } throws: { error in
                "\(error)".contains("expected 3 bytes within 0.3 s, got 2")
            }
        }
    }
}
