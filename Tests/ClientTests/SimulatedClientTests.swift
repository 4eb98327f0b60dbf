// SimulatedClientTests: one simulated client against small in-process servers, good and broken.
//
// A correct server (ServerCore's own `serveConnection`) must pass; a server that answers a wrong
// byte, an extra byte, too few bytes, nothing at all, or hangs up early must each produce the
// failure that names what went wrong. Everything runs over real loopback sockets.

import Glibc
import ServerCore
import Synchronization
import Testing
@testable import Client

@Suite struct SimulatedClientTests {
    @Test func aCorrectServerServesTheWholeSession() throws {
        let server = try OneClientServer { client in _ = serveConnection(client) }
        let recorder = LogRecorder()
        let outcome = client(port: server.port, interval: 0.05, recorder: recorder).run()
        server.finish()
        let times = try outcome.get()
        #expect(0 <= times.arrived && times.arrived <= times.greeted && times.greeted <= times.departed)
        // Three chunks, the later two each an interval after the one before.
        #expect(times.departed - times.greeted >= 0.1)
        #expect(times.departed < 5)

        // The log tells the session in order, in the seed transcript's words.
        let lines = recorder.lines
        #expect(lines.first == "conn7 connected")
        #expect(lines.last == "conn7 disconnecting")
        #expect(lines.filter { $0.hasPrefix("conn7 sending") }
            == [#"conn7 sending "^abc$de^abte$f""#, #"conn7 sending "xyz^123""#, #"conn7 sending "25$^ab0000$abab""#])
        // However the bytes were split into reads, together they are the greeting and the replies.
        let received = lines.compactMap { line -> String? in
            guard line.hasPrefix(#"conn7 received ""#) && line.hasSuffix(#"""#) else { return nil }
            return String(line.dropFirst(#"conn7 received ""#.count).dropLast())
        }
        #expect(received.joined() == "*bcdbcuf23436bc1111")
        #expect(!lines.contains { $0.contains("FAILED") })
    }

    @Test func aWrongByteIsReportedWithExpectedAndReceived() throws {
        let server = try OneClientServer { client in
            try? client.writeAll(Array("*".utf8))
            _ = receiveSome(client)
            try? client.writeAll(Array("bcdbcug".utf8))  // the last byte should be "f"
            drain(client)
        }
        let recorder = LogRecorder()
        let outcome = client(port: server.port, recorder: recorder).run()
        server.finish()
        #expect(recorder.lines.last
            == #"conn7 FAILED: conn7 got a wrong reply to "^abc$de^abte$f": expected "bcdbcuf", got "bcdbcug""#)
        #expect(!recorder.lines.contains("conn7 disconnecting"))
        let failure = try #require(outcome.failure)
        #expect(failure.reason == .wrongReply(
            waitingFor: .reply(to: Array("^abc$de^abte$f".utf8), expected: Array("bcdbcuf".utf8)),
            expected: Array("bcdbcuf".utf8), received: Array("bcdbcug".utf8)))
        #expect(failure.description
            == #"conn7 got a wrong reply to "^abc$de^abte$f": expected "bcdbcuf", got "bcdbcug""#)
    }

    @Test func aWrongGreetingIsReported() throws {
        let server = try OneClientServer { client in
            try? client.writeAll(Array("#".utf8))
            drain(client)
        }
        let outcome = client(port: server.port).run()
        server.finish()
        let failure = try #require(outcome.failure)
        #expect(failure.reason == .wrongReply(waitingFor: .greeting, expected: Array("*".utf8), received: Array("#".utf8)))
        #expect(failure.description.contains(##"wrong greeting: expected "*", got "#""##))
    }

    @Test func bytesBeyondTheExpectedReplyAreWrongToo() throws {
        let server = try OneClientServer { client in
            try? client.writeAll(Array("*".utf8))
            _ = receiveSome(client)
            try? client.writeAll(Array("bcdbcuf!".utf8))
            drain(client)
        }
        let outcome = client(port: server.port).run()
        server.finish()
        guard case let .wrongReply(_, _, received)? = outcome.failure?.reason else {
            Issue.record("expected a wrong reply, got \(outcome)")
            return
        }
        #expect(received == Array("bcdbcuf!".utf8))
    }

    @Test func aSilentServerTimesOutWaitingForTheGreeting() throws {
        let server = try OneClientServer { client in drain(client) }
        let start = MonotonicClock.now()
        let outcome = client(port: server.port, timeout: 0.3).run()
        let waited = MonotonicClock.now() - start
        server.finish()
        let failure = try #require(outcome.failure)
        #expect(failure.reason == .timedOut(waitingFor: .greeting, seconds: 0.3, received: []))
        #expect(failure.description.hasPrefix(#"conn7 timed out after 0.3 s waiting for the greeting "*""#))
        #expect(waited >= 0.29 && waited < 5)
    }

    @Test func aShortReplyTimesOutSayingWhatDidArrive() throws {
        let server = try OneClientServer { client in
            try? client.writeAll(Array("*".utf8))
            _ = receiveSome(client)
            try? client.writeAll(Array("bcd".utf8))
            drain(client)
        }
        let outcome = client(port: server.port, timeout: 0.3).run()
        server.finish()
        let failure = try #require(outcome.failure)
        #expect(failure.reason == .timedOut(
            waitingFor: .reply(to: Array("^abc$de^abte$f".utf8), expected: Array("bcdbcuf".utf8)),
            seconds: 0.3, received: Array("bcd".utf8)))
        #expect(failure.description.contains(#"received only "bcd""#))
    }

    @Test func aServerHangingUpEarlyIsReported() throws {
        let server = try OneClientServer { client in
            try? client.writeAll(Array("*".utf8))
            _ = receiveSome(client)
        }  // ...and the helper closes the connection
        let outcome = client(port: server.port).run()
        server.finish()
        let failure = try #require(outcome.failure)
        #expect(failure.reason == .closedEarly(
            waitingFor: .reply(to: Array("^abc$de^abte$f".utf8), expected: Array("bcdbcuf".utf8)), received: []))
        #expect(failure.description.contains("the server closed the connection"))
    }

    @Test func noServerMeansARefusalThatSuggestsStartingOne() throws {
        // A port that was free a moment ago: listen on port 0, note the port, close.
        let probe = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 1)
        let port = try probe.localAddress().port
        probe.close()
        let outcome = client(port: port).run()
        let failure = try #require(outcome.failure)
        guard case let .refused(host, refusedPort, error) = failure.reason else {
            Issue.record("expected a refusal, got \(failure)")
            return
        }
        #expect(host == "127.0.0.1" && refusedPort == port)
        #expect(error == "connect(2) failed: Connection refused")
        #expect(failure.description.hasSuffix("is the server running on 127.0.0.1:\(port)?"))
    }
}

// MARK: - Helpers

private func client(
    port: UInt16, interval: Double = 0.01, timeout: Double = 5, recorder: LogRecorder = LogRecorder()
) -> SimulatedClient {
    SimulatedClient(
        name: "conn7", host: "127.0.0.1", port: port, script: .seed,
        interval: interval, timeout: timeout, origin: MonotonicClock.now(), log: { recorder.append($0) })
}

/// Keeps a client's log lines for the test to read, instead of printing them.
private final class LogRecorder: Sendable {
    private let recorded = Mutex<[String]>([])
    func append(_ line: String) { recorded.withLock { $0.append(line) } }
    var lines: [String] { recorded.withLock { $0 } }
}

/// A server for exactly one client, listening on a port the kernel picks and running
/// `behaviour` on its own thread. `finish()` waits for it; the client must have connected.
private struct OneClientServer {
    let port: UInt16
    private let thread: JoinableThread<Bool>

    init(_ behaviour: @escaping @Sendable (Socket) -> Void) throws {
        signal(SIGPIPE, SIG_IGN)  // a write to a client that already left must not end the tests
        let listener = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 4)
        port = try listener.localAddress().port
        thread = try JoinableThread {
            defer { listener.close() }
            guard let (client, _) = try? listener.accept() else { return false }
            behaviour(client)
            client.close()
            return true
        }
    }

    func finish() {
        #expect(thread.join(), "the test server never accepted a client")
    }
}

/// One read's worth of bytes (empty at end of stream or on an error).
private func receiveSome(_ socket: Socket) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = (try? buffer.withUnsafeMutableBytes { try socket.read(into: $0) }) ?? 0
    return Array(buffer[..<count])
}

/// Reads until the peer closes, so the server stays connected as long as the client does.
private func drain(_ socket: Socket) {
    while !receiveSome(socket).isEmpty {}
}

extension Result {
    var failure: Failure? {
        if case let .failure(failure) = self { return failure }
        return nil
    }
}
