// LoadGeneratorTests: the load generator catches every kind of wrong server, and says which.
//
// Each test points `Bench load` (in process) at a `MisbehavingServer` for well under a second
// and checks the report: the right error kind counted, no other kind, and — through the real
// `LoadCommand` — a non-zero exit. The control case, a correct server, must give no error and
// some verified messages. No test asserts how fast anything is.

import ArgumentParser
@testable import BenchKit
import Glibc
import ServerCore
import Testing

/// A short run against `port`: fine for correctness, meaningless for speed. The timeout is
/// generous, so a busy machine cannot turn a slow reply into a failed test; the tests that wait
/// for a timeout on purpose shorten it.
func shortLoad(port: UInt16, clients: Int = 3, idle: Bool = false, timeout: Double = 5) -> LoadConfiguration {
    LoadConfiguration(
        host: "127.0.0.1", port: port, clients: clients, duration: 0.4, messageBytes: 64,
        idle: idle, timeout: timeout, rampBatch: 2)
}

/// Runs `Bench load` as the command line would (parsing included) and returns the error it
/// throws, if any: `ExitCode.failure` is how a failed run leaves the process.
func runLoadCommand(port: UInt16, timeout: Double = 5, extra: [String] = []) -> (any Error)? {
    do {
        let command = try LoadCommand.parse(
            ["--port", String(port), "--clients", "2", "--duration", "0.4", "--timeout", String(timeout)] + extra)
        try command.run()
        return nil
    } catch {
        return error
    }
}

@Suite("Bench load against misbehaving servers")
struct LoadGeneratorTests {
    @Test("a correct server: verified messages, no errors, exit 0")
    func correctServer() throws {
        let server = try MisbehavingServer(.correct)
        defer { server.stop() }
        let report = try LoadGenerator(shortLoad(port: server.port)).run()
        #expect(report.totalErrors == 0, "\(report.lines)")
        #expect(report.clientsGreeted == 3)
        #expect(report.messages > 0)
        #expect(report.latency.totalCount == UInt64(report.messages))
        #expect(runLoadCommand(port: server.port) == nil)
    }

    @Test("messages carry every byte value but ^ and $, including 0xFF (answered 0x00)")
    func messagesCoverEveryByte() {
        #expect(MessagePattern.alphabet.count == 254)
        #expect(!MessagePattern.alphabet.contains(UInt8(ascii: "^")))
        #expect(!MessagePattern.alphabet.contains(UInt8(ascii: "$")))
        // Four consecutive 64-byte messages of one client send all 254 values.
        var start = MessagePattern.firstStart(forClient: 7)
        var sent = Set<UInt8>()
        for _ in 0..<4 {
            for offset in 0..<64 { sent.insert(MessagePattern.payloadByte(start: start, offset: offset)) }
            start = MessagePattern.nextStart(after: start, payloadBytes: 64)
        }
        #expect(sent.count == 254)
        let wrap = MessagePattern.alphabet.firstIndex(of: 0xFF)!
        #expect(MessagePattern.expectedReply(start: wrap, offset: 0) == 0x00)
    }

    @Test("the 0xFF → 0x00 wrap is verified: a wrong answer to 0xFF is caught")
    func wrapIsChecked() throws {
        // Client 1's first message starts at alphabet index 0; with 254 payload bytes its last
        // byte is 0xFF, whose answer (reply byte 254) the server gets wrong by one.
        let server = try MisbehavingServer(.corruptReplyByte(MessagePattern.alphabet.firstIndex(of: 0xFF)! + 1))
        defer { server.stop() }
        var configuration = shortLoad(port: server.port, clients: 1)
        configuration.messageBytes = 254
        let report = try LoadGenerator(configuration).run()
        #expect(report.errors(.wrongByte) == 1, "\(report.lines)")
        #expect(report.lines.contains { $0.contains("reply byte 254 of 254 in message 1: expected 0x00, got 0x01") }, "\(report.lines)")
    }

    @Test("a corrupted reply byte is a 'wrong byte' error, and the run fails")
    func corruptedByte() throws {
        let server = try MisbehavingServer(.corruptReplyByte(100))
        defer { server.stop() }
        let report = try LoadGenerator(shortLoad(port: server.port)).run()
        #expect(report.errors(.wrongByte) == 3, "\(report.lines)")
        #expect(report.totalErrors == 3)
        #expect(!report.succeeded)
        // Byte 100 over the connection is byte 36 of the second 64-byte message.
        #expect(report.lines.contains { $0.contains("reply byte 36 of 64 in message 2") }, "\(report.lines)")
        #expect(runLoadCommand(port: server.port) as? ExitCode == .failure)
    }

    @Test("a connection dropped mid-reply is a 'reset' error", arguments: [MisbehavingServer.Fault.dropMidReply, .resetMidReply])
    func droppedMidReply(fault: MisbehavingServer.Fault) throws {
        let server = try MisbehavingServer(fault)
        defer { server.stop() }
        let report = try LoadGenerator(shortLoad(port: server.port)).run()
        #expect(report.errors(.reset) == 3, "\(report.lines)")
        #expect(report.totalErrors == 3)
        #expect(report.messages == 0)
        #expect(runLoadCommand(port: server.port) as? ExitCode == .failure)
    }

    @Test("a server that never greets is a 'greeting' error", arguments: [MisbehavingServer.Fault.neverGreet, .wrongGreeting])
    func noGreeting(fault: MisbehavingServer.Fault) throws {
        let server = try MisbehavingServer(fault)
        defer { server.stop() }
        let report = try LoadGenerator(shortLoad(port: server.port, timeout: 0.5)).run()
        #expect(report.errors(.greeting) == 3, "\(report.lines)")
        #expect(report.totalErrors == 3)
        #expect(report.clientsGreeted == 0)
        #expect(runLoadCommand(port: server.port, timeout: 0.5) as? ExitCode == .failure)
    }

    @Test("a server that stops replying is a 'timeout' error")
    func noReply() throws {
        let server = try MisbehavingServer(.neverReply)
        defer { server.stop() }
        let report = try LoadGenerator(shortLoad(port: server.port, timeout: 0.5)).run()
        #expect(report.errors(.timeout) == 3, "\(report.lines)")
        #expect(report.totalErrors == 3)
    }

    @Test("nobody listening is a 'connect' error")
    func refused() throws {
        // A port that was free a moment ago: listen on port 0, note the port, close.
        let probe = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 1)
        let port = try probe.localAddress().port
        probe.close()
        let report = try LoadGenerator(shortLoad(port: port)).run()
        #expect(report.errors(.connect) == 3, "\(report.lines)")
        #expect(report.totalErrors == 3)
        #expect(runLoadCommand(port: port) as? ExitCode == .failure)
    }

    @Test("--idle holds greeted connections and sends nothing")
    func idleConnections() throws {
        let server = try MisbehavingServer(.correct)
        defer { server.stop() }
        let report = try LoadGenerator(shortLoad(port: server.port, clients: 20, idle: true)).run()
        #expect(report.totalErrors == 0, "\(report.lines)")
        #expect(report.clientsGreeted == 20)
        #expect(report.messages == 0)
        #expect(runLoadCommand(port: server.port, extra: ["--idle"]) == nil)
    }
}
