// ConformanceTests: every server speaks the protocol of Chapter 0, byte for byte.
//
// Black box: each test starts a built server executable on port 0, drives it over real sockets
// and asserts the exact bytes that come back. Every session runs against every server in
// `Servers.all`, so adding a server to the tutorial is one line (TestedServers.swift). What
// differs between the models (who waits for whom) is in BehaviourTests; here they must all look
// the same.

import Glibc
import Harness
import ServerCore
import Testing

/// Where two byte arrays first differ, for a failure message that does not print a megabyte.
private func firstDifference(_ got: [UInt8], _ expected: [UInt8]) -> String {
    guard let index = (0..<min(got.count, expected.count)).first(where: { got[$0] != expected[$0] }) else {
        return "lengths differ: got \(got.count), expected \(expected.count)"
    }
    return "first difference at byte \(index): got \(got[index]), expected \(expected[index])"
}

@Suite("Conformance: every server, the same bytes")
struct ConformanceTests {
    @Test("greets a new client with *", arguments: Servers.withVariants)
    func greets(server name: String) throws {
        try withServer(variant: name) { server in
            let client = try TestClient.connect(port: server.port)
            defer { client.close() }
            #expect(try client.receive(exactly: 1) == [UInt8(ascii: "*")])
            #expect(try client.received(within: 0.2).isEmpty, "the greeting is the only unprompted byte")
        }
    }

    @Test("answers the seed vector, chunk by chunk, with the state carried across chunks", arguments: Servers.withVariants)
    func seedVector(server name: String) throws {
        try withServer(variant: name) { server in
            let client = try TestClient.connectAndGreet(port: server.port)
            defer { client.close() }
            for (input, reply) in seedConversation {
                try client.send(input)
                #expect(try client.receive(reply) == reply, "reply to \(input)")
            }
            try client.expectNoStrayReplies()
        }
    }

    @Test("ignores every byte outside a message", arguments: Servers.withVariants)
    func ignoresBytesOutsideMessages(server name: String) throws {
        try withServer(variant: name) { server in
            let client = try TestClient.connectAndGreet(port: server.port)
            defer { client.close() }
            let outside = (UInt8.min...UInt8.max).filter { $0 != UInt8(ascii: "^") }
            try client.send(outside + outside)
            try client.send("^ok$")
            #expect(try client.receive("pl") == "pl", "only the message is answered")
            try client.expectNoStrayReplies()
        }
    }

    @Test("answers a message that arrives one byte per write", arguments: Servers.withVariants)
    func messageSplitAcrossManyWrites(server name: String) throws {
        try withServer(variant: name) { server in
            let client = try TestClient.connectAndGreet(port: server.port)
            defer { client.close() }
            var machine = ProtocolMachine()
            for byte in seedConversation.map(\.send).joined().utf8 {
                try client.send([byte])
                if let expected = machine.step(byte) {
                    let got = try client.receive(exactly: 1)
                    #expect(got == [expected], "reply to \(describeBytes([byte]))")
                }
            }
            try client.expectNoStrayReplies()
        }
    }

    @Test("answers a 1 MB message in full while still reading it", arguments: Servers.withVariants)
    func largeMessage(server name: String) throws {
        try withServer(variant: name) { server in
            let client = try TestClient.connectAndGreet(port: server.port)
            defer { client.close() }
            // Every byte value but `$`, which would end the message early.
            let body = (0..<1_048_576).map { index -> UInt8 in
                let byte = UInt8(truncatingIfNeeded: index &* 7 &+ index >> 8)
                return byte == UInt8(ascii: "$") ? UInt8(ascii: "%") : byte
            }
            let expected = body.map { $0 &+ 1 }
            // The server replies as it reads, so the replies must be read while the message is
            // still being sent, or both sides' buffers fill and neither can move.
            let reply = try client.send(Array("^".utf8) + body + Array("$".utf8)) {
                try client.receive(exactly: expected.count, timeout: 60)
            }
            #expect(reply == expected, "\(firstDifference(reply, expected))")
            try client.expectNoStrayReplies()
        }
    }

    @Test("survives clients that reset at once, leave mid-message, reset, or hang up before their replies", arguments: Servers.withVariants)
    func clientsThatLeaveAbruptly(server name: String) throws {
        try withServer(variant: name) { server in
            // Impatient clients reset before the greeting, perhaps before they are even accepted:
            // accept can hand the server a connection that is already dead.
            for _ in 0..<5 { try TestClient.connect(port: server.port).reset() }

            let leaver = try TestClient.connectAndGreet(port: server.port)
            try leaver.send("^abc")
            #expect(try leaver.receive("bcd") == "bcd")
            leaver.close()  // in the middle of a message

            let resetter = try TestClient.connectAndGreet(port: server.port)
            try resetter.send("^xyz")
            #expect(try resetter.receive("yz{") == "yz{")
            resetter.reset()  // RST: the server's next read fails with ECONNRESET

            // Sends a long message and hangs up without reading a reply: FIN first (shutdown), then
            // close. The server, still working through the message, writes replies to a peer that
            // has gone; the kernel answers with a reset and the server's next write fails with EPIPE,
            // which kills a process that has not ignored SIGPIPE.
            let quitter = try TestClient.connectAndGreet(port: server.port)
            try quitter.send(Array("^".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 65_536))
            try quitter.socket.shutdown(Int32(SHUT_WR))
            quitter.close()

            let next = try TestClient.connectAndGreet(port: server.port)
            defer { next.close() }
            try next.runSeedVector()
            try next.expectNoStrayReplies()
            #expect(server.isRunning, "a client's reset must end that client only, never the server")
        }
    }

    @Test("closes every client's descriptor: 200 clients come and go, none leak", arguments: Servers.withVariants)
    func noDescriptorLeaks(server name: String) throws {
        try withServer(variant: name) { server in
            let baseline = server.openDescriptorCount()
            #expect(baseline > 0)
            for index in 0..<200 {
                // Waiting for the greeting means the server has accepted this client, so Part 1
                // (one client at a time) sees each leave before the next arrives.
                let client = try TestClient.connectAndGreet(port: server.port)
                switch index % 4 {
                case 0: client.reset()
                case 1:
                    try client.send("^abc")  // leaves in the middle of a message
                    client.close()
                default: client.close()
                }
            }
            // The server notices each close on its next read; give the last ones a moment.
            let settled = waitUntil(timeout: 10) { server.openDescriptorCount() <= baseline }
            #expect(settled, "descriptors: \(baseline) before, \(server.openDescriptorCount()) after 200 clients")
            #expect(server.openDescriptorCount() == baseline)
            #expect(server.isRunning)
        }
    }

    @Test("a client that sends but never reads does not stop another being served", arguments: Servers.concurrentWithVariants)
    func clientThatNeverReads(server name: String) throws {
        try withServer(variant: name) { server in
            // Small buffers, so the hog's connection fills up after kilobytes, not megabytes.
            let hog = try TestClient.connect(port: server.port, receiveBufferSize: 4096, sendBufferSize: 4096)
            try hog.send("^")
            let (sent, blocked) = try hog.sendUntilBlocked(filler: UInt8(ascii: "a"), limit: 64 << 20)
            #expect(blocked, "the hog sent \(sent) bytes and its writes never blocked, though it reads no replies: is the server answering?")

            let other = try TestClient.connectAndGreet(port: server.port)
            defer { other.close() }
            try other.runSeedVector()
            try other.expectNoStrayReplies()

            // The hog resets while the server is blocked writing to it: the write fails (EPIPE or
            // ECONNRESET, never a SIGPIPE that kills the process) and only the hog's session ends.
            hog.reset()
            let after = try TestClient.connectAndGreet(port: server.port)
            defer { after.close() }
            try after.runSeedVector()
            #expect(server.isRunning)
        }
    }

    @Test("survives 64 KB of random bytes, then serves the next client", arguments: Servers.withVariants)
    func garbage(server name: String) throws {
        try withServer(variant: name) { server in
            var generator = SplitMix64(seed: 0xBAD_B17E5)
            let garbage = (0..<65_536).map { _ in UInt8.random(in: 0...0xFF, using: &generator) }
            var machine = ProtocolMachine()
            let expected = machine.feed(garbage)

            let vandal = try TestClient.connectAndGreet(port: server.port)
            let reply = try vandal.send(garbage) {
                try vandal.receive(exactly: expected.count, timeout: 30)
            }
            #expect(reply == expected, "\(firstDifference(reply, expected))")
            try vandal.expectNoStrayReplies()
            vandal.reset()

            let next = try TestClient.connectAndGreet(port: server.port)
            defer { next.close() }
            try next.runSeedVector()
            try next.expectNoStrayReplies()
            #expect(server.isRunning)
        }
    }
}
