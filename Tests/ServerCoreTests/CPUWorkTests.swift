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
        #expect(oneInFour.costlyMessages(completed: 1, after: 3) == 1, "message 4 is costly")
        #expect(oneInFour.costlyMessages(completed: 3, after: 4) == 0, "messages 5-7 are not")
        #expect(oneInFour.costlyMessages(completed: 9, after: 0) == 2, "messages 4 and 8 are")

        // Whatever the phase: exactly one costly message in every run of `every` messages.
        for phase in 0..<50 {
            var meter = WorkMeter(oneInFour, phase: phase)
            let costly = (0..<40).map { _ in meter.count(1) }
            for start in 0...(40 - 4) {
                #expect(costly[start..<(start + 4)].reduce(0, +) == 1, "phase \(phase): \(costly)")
            }
        }

        // Connections with consecutive descriptors start at places spread over the whole cycle,
        // not bunched where the descriptor numbers are: their first costly message varies widely.
        let oneInThousand = CPUWork(microseconds: 1, every: 1000)
        let firstCostly = (10..<110).map { fd -> Int in
            var meter = WorkMeter(oneInThousand, phase: fd)
            var message = 1
            while meter.count(1) == 0 { message += 1 }
            return message
        }
        #expect(firstCostly.allSatisfy { (1...1000).contains($0) })
        #expect(firstCostly.filter { $0 <= 500 }.count >= 30 && firstCostly.filter { $0 > 500 }.count >= 30,
                "first costly messages: \(firstCostly.sorted())")
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
