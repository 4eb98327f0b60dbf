// SessionScriptTests: the client expects exactly the replies the original series' transcripts show.

import Testing
@testable import Client

@Suite struct SessionScriptTests {
    @Test func seedChunksEarnTheSeedReplies() {
        let script = SessionScript.seed
        #expect(script.chunks.map { String(decoding: $0, as: UTF8.self) } == ["^abc$de^abte$f", "xyz^123", "25$^ab0000$abab"])
        #expect(script.expectedReplies.map { String(decoding: $0, as: UTF8.self) } == ["bcdbcuf", "234", "36bc1111"])
    }

    @Test func protocolStateIsCarriedFromOneChunkToTheNext() {
        // "c$d^" continues the message "^ab" opened, and "e" is inside the one "c$d^" opened.
        let script = SessionScript("^ab", "c$d^", "e")
        #expect(script.expectedReplies == [Array("bc".utf8), Array("d".utf8), Array("f".utf8)])
        // Chunk by chunk with a fresh machine, the last two would earn nothing.
        let fresh = SessionScript(chunks: [Array("e".utf8)])
        #expect(fresh.expectedReplies == [[]])
    }

    @Test func quotedShowsEveryByteUnambiguously() {
        #expect(quoted(Array("^abc$".utf8)) == #""^abc$""#)
        #expect(quoted([0x41, 0x22, 0x5C, 0x00, 0x0A, 0xFF]) == #""A\"\\\x00\x0A\xFF""#)
        #expect(quoted([UInt8]()) == #""""#)
    }
}
