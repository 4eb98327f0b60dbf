// CPUWorkTests: counting complete messages, and which of them cost `--work` (Chapter 8).

import ServerCore
import Testing

@Suite("CPU work per message")
struct CPUWorkTests {
    @Test("feed counts the messages a `$` closed, and only those")
    func feedCountsCompletedMessages() {
        var machine = ProtocolMachine()
        var reply: [UInt8] = []
        // `$` outside a message closes nothing; `^^$` is one message (the second `^` is answered).
        #expect(machine.feed(Array("$$^ab$x$^^$^c".utf8), into: &reply) == 2)
        #expect(reply == Array("bc_d".utf8))
        #expect(machine.state == .inMessage)
        #expect(machine.feed(Array("d$".utf8), into: &reply) == 1, "a message that spans reads is counted when it ends")
        #expect(machine.feed(Array("".utf8), into: &reply) == 0)
    }

    @Test("feed's count equals the number of $ read inside a message, on random streams")
    func feedCountMatchesAModel() {
        var random = UInt64(0x5EED)
        for _ in 0..<200 {
            var machine = ProtocolMachine()
            var reply: [UInt8] = []
            var inMessage = false
            var expected = 0
            var bytes: [UInt8] = []
            for _ in 0..<64 {
                random = random &* 6364136223846793005 &+ 1442695040888963407
                let byte = Array("^$ab".utf8)[Int(random >> 62)]
                bytes.append(byte)
                if !inMessage && byte == UInt8(ascii: "^") { inMessage = true }
                else if inMessage && byte == UInt8(ascii: "$") { inMessage = false; expected += 1 }
            }
            #expect(machine.feed(bytes, into: &reply) == expected)
        }
    }

    @Test("every message costs work by default; with --work-every K, one in K, spread by the phase")
    func costlyMessages() {
        let everyMessage = CPUWork(microseconds: 1)
        var meter = WorkMeter(everyMessage, phase: 7)
        #expect(meter.count(3) == 3)
        #expect(meter.count(0) == 0)

        let oneInFour = CPUWork(microseconds: 1, every: 4)
        var first = WorkMeter(oneInFour, phase: 0)
        #expect([1, 1, 1, 1, 4, 3].map { first.count($0) } == [0, 0, 0, 1, 1, 0])
        var shifted = WorkMeter(oneInFour, phase: 3)  // its first message is its costly one
        #expect(shifted.count(1) == 1)
        #expect(shifted.count(3) == 0)
        #expect(shifted.count(1) == 1)
        #expect(CPUWork.none.isEnabled == false && oneInFour.isEnabled)
    }

    @Test("the hash is deterministic and depends on every round")
    func hashIsDeterministic() {
        #expect(CPUWork.hash(rounds: 1000, seed: 1) == CPUWork.hash(rounds: 1000, seed: 1))
        #expect(CPUWork.hash(rounds: 1000, seed: 1) != CPUWork.hash(rounds: 1001, seed: 1))
        #expect(CPUWork.hash(rounds: 1000, seed: 1) != CPUWork.hash(rounds: 1000, seed: 2))
    }

    @Test("calibration finds a plausible speed (between 1 and 10,000 rounds per microsecond)")
    func calibration() {
        let work = CPUWork(microseconds: 10)
        #expect(work.roundsPerMicrosecond > 1 && work.roundsPerMicrosecond < 10_000)
    }
}
