// Exercise 01-1's test: the learner's `EscapedMachine` speaks the protocol with escapes.
//
// One test per exercise, so a fresh clone's `swift test` skips each exercise with one line. It
// runs the checks below in order: the plain protocol still works, each rule of the escape on its
// own, a message split at every possible place, and agreement with a model written differently
// (over whole strings, not byte by byte) on a long stream of random bytes.

@testable import Exercises
import Harness
import ServerCore
import Testing

@Test(.exercise("01-1"))
func exercise01_1_EscapedStep() {
    check("answers the example conversation, which has no backslash", answersTheExampleConversation)
    check("follows each escape rule", followsEachEscapeRule)
    check("keeps the escape across reads", keepsTheEscapeAcrossReads)
    check("agrees with a model on random bytes", agreesWithAModelOnRandomBytes)
}

private func replies(_ machine: inout EscapedMachine, _ text: String) -> String {
    String(decoding: text.utf8.compactMap { machine.step($0) }, as: UTF8.self)
}

private func answersTheExampleConversation() {
    var machine = EscapedMachine()
    for (sent, expected) in seedConversation {
        #expect(replies(&machine, sent) == expected, "the replies to \"\(sent)\"")
    }
}

private func followsEachEscapeRule() {
    var machine = EscapedMachine()
    #expect(machine.state == .waiting, "a new machine waits for a message")
    #expect(machine.step(UInt8(ascii: "\\")) == nil, "a backslash outside a message is ignored")
    #expect(machine.state == .waiting, "a backslash outside a message is ignored")
    #expect(machine.step(UInt8(ascii: "^")) == nil)
    #expect(machine.step(UInt8(ascii: "\\")) == nil, "the backslash that starts an escape earns no reply")
    #expect(machine.state == .escaped, "a backslash in a message escapes the next byte")
    #expect(machine.step(UInt8(ascii: "$")) == UInt8(ascii: "%"), "an escaped `$` is an ordinary byte: it earns `%`")
    #expect(machine.state == .inMessage, "after the escaped byte the message goes on")
    #expect(machine.step(UInt8(ascii: "\\")) == nil)
    #expect(machine.step(UInt8(ascii: "\\")) == UInt8(ascii: "]"), "an escaped backslash earns `]`")
    #expect(machine.state == .inMessage, "`\\\\` is one escaped backslash, not two escapes")
    #expect(machine.step(UInt8(ascii: "a")) == UInt8(ascii: "b"), "after `\\\\` the next byte is not escaped")
    #expect(machine.step(UInt8(ascii: "\\")) == nil)
    #expect(machine.step(0xFF) == 0x00, "an escaped 0xFF wraps to 0x00")
    #expect(machine.step(UInt8(ascii: "$")) == nil, "an unescaped `$` still ends the message")
    #expect(machine.state == .waiting)
    #expect(replies(&machine, "^a\\$b$") == "b%c", "the example of the exercise's header")
    #expect(replies(&machine, "^\\^x$^$") == "_y", "an escaped `^` earns `_`")
}

private func keepsTheEscapeAcrossReads() {
    let message = "^ab\\$c\\\\d$zz^\\$$"
    let expected = "bc%d]e%"
    let bytes = Array(message.utf8)
    for cut in 0...bytes.count {
        var machine = EscapedMachine()
        let first = bytes[..<cut].compactMap { machine.step($0) }
        let second = bytes[cut...].compactMap { machine.step($0) }
        let answer = String(decoding: first + second, as: UTF8.self)
        if answer != expected {
            Issue.record("split after byte \(cut): replies \"\(answer)\", expected \"\(expected)\"")
            return
        }
    }
}

/// The rules written over a whole stream at once, with an index instead of a state.
private func modelReplies(_ bytes: [UInt8]) -> [UInt8] {
    var reply: [UInt8] = []
    var index = 0
    // Outside a message: skip to the next `^`.
    while let start = bytes[index...].firstIndex(of: UInt8(ascii: "^")) {
        index = start + 1
        // Inside: until an unescaped `$` or the end of the stream.
        while index < bytes.count && bytes[index] != UInt8(ascii: "$") {
            if bytes[index] == UInt8(ascii: "\\") {
                index += 1
                if index == bytes.count { return reply }
            }
            reply.append(bytes[index] &+ 1)
            index += 1
        }
        index += 1
        if index >= bytes.count { return reply }
    }
    return reply
}

private func agreesWithAModelOnRandomBytes() {
    var random = SplitMix64(seed: 2024)
    // One byte in four is `^`, `$` or a backslash, so every state is visited often.
    let bytes: [UInt8] = (0..<20_000).map { _ in
        switch random.next() % 8 {
        case 0: UInt8(ascii: "^")
        case 1: UInt8(ascii: "$")
        case 2: UInt8(ascii: "\\")
        default: UInt8(truncatingIfNeeded: random.next())
        }
    }
    var machine = EscapedMachine()
    var mine: [UInt8] = []
    for byte in bytes {
        if let answer = machine.step(byte) { mine.append(answer) }
    }
    let expected = modelReplies(bytes)
    if mine != expected {
        let first = mine.indices.first { $0 < expected.count && mine[$0] != expected[$0] } ?? min(mine.count, expected.count)
        Issue.record("\(mine.count) reply bytes where the model gives \(expected.count); they first differ at reply byte #\(first)")
    }
}
