// ReferenceModel: the protocol of Chapter 0 written a second time, for the fuzz test to check
// every server against.
//
// Deliberately not `ProtocolMachine`: that type is what every server runs, so a mistake in it
// would be in the servers and in the expectation alike, and the comparison would pass. This copy
// is written straight from the rules, shares no code with ServerCore, and is itself checked
// below against the seed vector and the corner cases the rules spell out.

import Harness
import Testing

/// The protocol as a two-state machine, one byte at a time.
///
/// - On accept the server sends `*`.
/// - Waiting: `^` starts a message; every other byte is ignored (`$` included).
/// - In a message: `$` ends it; any other byte `b` is answered with `b &+ 1`, so a `^` inside a
///   message is answered with `_` and 0xFF with 0x00.
struct ReferenceModel {
    static let greeting = UInt8(ascii: "*")
    static let start = UInt8(ascii: "^")
    static let end = UInt8(ascii: "$")

    private(set) var inMessage = false

    /// The answer `byte` earns, if any, and the state after it.
    mutating func answer(_ byte: UInt8) -> UInt8? {
        if !inMessage {
            inMessage = byte == Self.start
            return nil
        }
        if byte == Self.end {
            inMessage = false
            return nil
        }
        return byte &+ 1
    }

    /// Every byte a server must send to a client whose whole input is `script`: the greeting,
    /// then the answers, in order. Nothing else may arrive before the server closes.
    static func expectedReplies(to script: [UInt8]) -> [UInt8] {
        var model = ReferenceModel()
        var replies = [greeting]
        replies.reserveCapacity(script.count / 2 + 1)
        for byte in script {
            if let reply = model.answer(byte) { replies.append(reply) }
        }
        return replies
    }

    /// Which byte of `script` earns reply byte `replyIndex` (0 is the greeting, which answers
    /// nothing: nil), for a failure message that points into the script. Nil past the last reply.
    static func scriptOffset(ofReply replyIndex: Int, in script: [UInt8]) -> Int? {
        guard replyIndex > 0 else { return nil }
        var model = ReferenceModel()
        var replies = 1
        for (offset, byte) in script.enumerated() where model.answer(byte) != nil {
            if replies == replyIndex { return offset }
            replies += 1
        }
        return nil
    }
}

@Suite("Reference model: the protocol written again, for the fuzz test")
struct ReferenceModelTests {
    private func replies(_ text: String) -> [UInt8] {
        Array(ReferenceModel.expectedReplies(to: Array(text.utf8)).dropFirst())
    }

    @Test("greets first, then answers the seed vector with the state carried across chunks")
    func seedVector() {
        let script = seedConversation.map(\.send).joined()
        let expected = "*" + seedConversation.map(\.reply).joined()
        #expect(ReferenceModel.expectedReplies(to: Array(script.utf8)) == Array(expected.utf8))
    }

    @Test("ignores everything outside a message, `$` included")
    func outside() {
        #expect(replies("abc$$$xyz\u{7F}") == [])
        #expect(replies("$^a$") == Array("b".utf8))
    }

    @Test("answers `^` inside a message with `_`, wraps 0xFF to 0x00, and keeps an unfinished message open")
    func insideMessage() {
        #expect(replies("^^^$") == Array("__".utf8))
        #expect(ReferenceModel.expectedReplies(to: [0x5E, 0xFF, 0x00, 0x24, 0xFF]) == [0x2A, 0x00, 0x01])
        #expect(replies("^$^$^") == [])
        #expect(replies("^ab") == Array("bc".utf8))
    }

    @Test("points a reply byte back at the script byte that earned it")
    func scriptOffsets() {
        let script = Array("xx^ab$y^c".utf8)
        #expect(ReferenceModel.scriptOffset(ofReply: 0, in: script) == nil)  // the greeting
        #expect(ReferenceModel.scriptOffset(ofReply: 1, in: script) == 3)  // a -> b
        #expect(ReferenceModel.scriptOffset(ofReply: 3, in: script) == 8)  // c -> d
        #expect(ReferenceModel.scriptOffset(ofReply: 4, in: script) == nil)
    }
}
