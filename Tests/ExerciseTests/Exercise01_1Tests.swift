// Exercise 01-1's test: the learner's `StepMachine` speaks the protocol of Chapter 0.
//
// One test per exercise, so a fresh clone's `swift test` skips each exercise with one line. It
// runs the checks below in order: the example conversation, each state change on its own, and
// agreement with ServerCore's ProtocolMachine over a long stream of random bytes.

@testable import Exercises
import Harness
import ServerCore
import Testing

@Test(.exercise("01-1"))
func exercise01_1_ProtocolStep() {
    check("answers the example conversation", answersTheExampleConversation)
    check("moves between its two states", movesBetweenItsTwoStates)
    check("agrees with ServerCore on random bytes", agreesWithServerCoreOnRandomBytes)
}

private func answersTheExampleConversation() {
    var machine = StepMachine()
    for (sent, expected) in seedConversation {
        let answer = String(decoding: sent.utf8.compactMap { machine.step($0) }, as: UTF8.self)
        #expect(answer == expected, "the replies to \"\(sent)\"")
    }
}

private func movesBetweenItsTwoStates() {
    var machine = StepMachine()
    #expect(machine.state == .waiting, "a new machine waits for a message")
    #expect(machine.step(UInt8(ascii: "a")) == nil, "bytes outside a message earn no reply")
    #expect(machine.step(UInt8(ascii: "$")) == nil, "`$` outside a message is ignored")
    #expect(machine.state == .waiting, "`$` outside a message is ignored")
    #expect(machine.step(UInt8(ascii: "^")) == nil, "`^` starts a message and earns no reply")
    #expect(machine.state == .inMessage, "`^` starts a message")
    #expect(machine.step(UInt8(ascii: "^")) == UInt8(ascii: "_"), "`^` inside a message is an ordinary byte")
    #expect(machine.step(0xFF) == 0x00, "0xFF is answered with 0x00: the reply wraps around")
    #expect(machine.state == .inMessage, "only `$` ends a message")
    #expect(machine.step(UInt8(ascii: "$")) == nil, "`$` ends the message and earns no reply")
    #expect(machine.state == .waiting, "`$` ends the message")
}

private func agreesWithServerCoreOnRandomBytes() {
    var random = SplitMix64(seed: 2024)
    var mine = StepMachine()
    var reference = ProtocolMachine()
    for index in 0..<20_000 {
        // One byte in four is `^` or `$`, so both states are visited often.
        let byte: UInt8 = switch random.next() % 8 {
        case 0: UInt8(ascii: "^")
        case 1: UInt8(ascii: "$")
        default: UInt8(truncatingIfNeeded: random.next())
        }
        let expected = reference.step(byte)
        let answer = mine.step(byte)
        if answer != expected {
            Issue.record("random byte #\(index) (\(byte)): expected \(String(describing: expected)), got \(String(describing: answer))")
            return
        }
    }
}
