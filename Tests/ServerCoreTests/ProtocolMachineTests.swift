// ProtocolMachineTests: the protocol of Chapter 0, checked on the pure state machine.
//
// Every server feeds `ProtocolMachine` whatever its reads happen to return, so the machine must
// give the same replies however the input is cut into pieces. These tests pin that down three
// ways: the seed vectors from the original article series, every possible split of a short
// input (and many random splits of a long one), and random byte streams checked against a tiny
// reference model written here, independently of the code under test.

import Harness  // the seed conversation and SplitMix64, shared with the other suites
import ServerCore
import Testing

/// The whole seed input and the whole reply, as one stream.
let seedInput = Array(seedConversation.map(\.send).joined().utf8)
let seedReply = Array(seedConversation.map(\.reply).joined().utf8)

/// An independent statement of the protocol: a boolean for the state, and nothing shared with
/// `ProtocolMachine` except the spec. Returns the replies and whether the stream ends in a message.
func referenceReplies(to input: [UInt8], startingInMessage: Bool = false) -> (reply: [UInt8], inMessage: Bool) {
    var inMessage = startingInMessage
    var reply: [UInt8] = []
    for byte in input {
        if !inMessage {
            inMessage = byte == UInt8(ascii: "^")
        } else if byte == UInt8(ascii: "$") {
            inMessage = false
        } else {
            reply.append(byte == 0xFF ? 0x00 : byte + 1)
        }
    }
    return (reply, inMessage)
}

/// Feeds `input` to a fresh machine in pieces of the given lengths and returns all the replies.
func replies(to input: [UInt8], splitInto lengths: [Int]) -> (reply: [UInt8], machine: ProtocolMachine) {
    var machine = ProtocolMachine()
    var reply: [UInt8] = []
    var start = 0
    for length in lengths {
        machine.feed(input[start..<start + length], into: &reply)
        start += length
    }
    precondition(start == input.count, "the pieces must cover the input exactly")
    return (reply, machine)
}

/// Random piece lengths (each 1...maxPiece) that add up to `count`.
func randomSplit(of count: Int, maxPiece: Int, using generator: inout SplitMix64) -> [Int] {
    var lengths: [Int] = []
    var left = count
    while left > 0 {
        let length = Int.random(in: 1...min(maxPiece, left), using: &generator)
        lengths.append(length)
        left -= length
    }
    return lengths
}

@Suite("ProtocolMachine")
struct ProtocolMachineTests {
    @Test("the seed vectors, chunk by chunk, with the state carried across chunks")
    func seedVectors() {
        var machine = ProtocolMachine()
        for (input, expected) in seedConversation {
            let reply = machine.feed(Array(input.utf8))
            #expect(String(decoding: reply, as: UTF8.self) == expected, "reply to \(input)")
        }
        #expect(machine.state == .waiting, "the last chunk closes its message and ends with ignored bytes")
    }

    @Test("the seed input fed one byte at a time through step(_:)")
    func seedVectorsByteByByte() {
        var machine = ProtocolMachine()
        let reply = seedInput.compactMap { machine.step($0) }
        #expect(reply == seedReply)
    }

    @Test("every way of cutting a short input into reads gives the same replies")
    func everySplitOfAShortInput() {
        // The end of chunk 2 and all of chunk 3: a message that is open when the chunk boundary
        // falls, 19 bytes, so 2^18 = 262,144 ways to cut it.
        let input = Array("^123".utf8) + Array(seedConversation[2].send.utf8)
        let expected = Array("234".utf8) + Array(seedConversation[2].reply.utf8)
        let cuts = input.count - 1
        var failures = 0
        for mask in 0..<(1 << cuts) {
            // Bit i set: a read ends after byte i.
            var lengths: [Int] = []
            var length = 0
            for index in 0..<input.count {
                length += 1
                if index == input.count - 1 || mask & (1 << index) != 0 {
                    lengths.append(length)
                    length = 0
                }
            }
            let (reply, machine) = replies(to: input, splitInto: lengths)
            if reply != expected || machine.state != .waiting {
                failures += 1
                if failures <= 5 {
                    Issue.record("split \(lengths) gave \(String(decoding: reply, as: UTF8.self))")
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(1 << cuts) splits gave different replies")
    }

    @Test("many random ways of cutting the whole seed input into reads give the seed replies")
    func randomSplitsOfTheSeedInput() {
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<20_000 {
            let lengths = randomSplit(of: seedInput.count, maxPiece: 8, using: &generator)
            let (reply, _) = replies(to: seedInput, splitInto: lengths)
            #expect(reply == seedReply, "split \(lengths)")
            if reply != seedReply { return }
        }
    }

    @Test("random byte streams, randomly split, match the reference model", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomStreamsMatchTheReference(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        for round in 0..<200 {
            // Mostly markers, so messages open and close often; the rest any byte at all.
            let count = Int.random(in: 0...2_000, using: &generator)
            let input: [UInt8] = (0..<count).map { _ in
                switch Int.random(in: 0..<10, using: &generator) {
                case 0...2: UInt8(ascii: "^")
                case 3...4: UInt8(ascii: "$")
                case 5: 0xFF
                default: UInt8.random(in: 0...0xFF, using: &generator)
                }
            }
            let lengths = randomSplit(of: count, maxPiece: 64, using: &generator)
            let (reply, machine) = replies(to: input, splitInto: lengths)
            let reference = referenceReplies(to: input)
            #expect(reply == reference.reply, "seed \(seed), round \(round): replies differ")
            #expect((machine.state == .inMessage) == reference.inMessage, "seed \(seed), round \(round): state differs")
            if reply != reference.reply { return }
        }
    }

    @Test("^ inside a message is answered with _")
    func caretInsideAMessage() {
        var machine = ProtocolMachine()
        #expect(machine.feed(Array("^^a^".utf8)) == Array("_b_".utf8))
        #expect(machine.state == .inMessage, "a second ^ does not start or end anything")
    }

    @Test("0xFF inside a message is answered with 0x00")
    func wrapsAround() {
        var machine = ProtocolMachine()
        #expect(machine.feed([UInt8(ascii: "^"), 0xFF, 0xFE, 0x00]) == [0x00, 0xFF, 0x01])
    }

    @Test("every byte outside a message is ignored, and only ^ opens one")
    func bytesOutsideMessagesAreIgnored() {
        for byte in UInt8.min...UInt8.max {
            var machine = ProtocolMachine()
            #expect(machine.step(byte) == nil, "byte \(byte)")
            #expect(machine.state == (byte == UInt8(ascii: "^") ? .inMessage : .waiting), "byte \(byte)")
        }
        var machine = ProtocolMachine()
        let outside = (UInt8.min...UInt8.max).filter { $0 != UInt8(ascii: "^") }
        #expect(machine.feed(outside + outside).isEmpty)
        #expect(machine.state == .waiting)
    }

    @Test("$ ends a message without a reply, and what follows is ignored until the next ^")
    func dollarEndsAMessage() {
        var machine = ProtocolMachine()
        #expect(machine.feed(Array("$$abc^x$yz$".utf8)) == Array("y".utf8))
        #expect(machine.state == .waiting)
    }

    @Test("feed(_:into:) appends to what the caller already has")
    func feedAppends() {
        var machine = ProtocolMachine()
        var reply = Array("old".utf8)
        machine.feed(Array("^ab".utf8), into: &reply)
        #expect(reply == Array("oldbc".utf8))
    }

    @Test("a fresh machine is waiting, and the protocol's three bytes are * ^ $")
    func constants() {
        #expect(ProtocolMachine().state == .waiting)
        #expect(ProtocolMachine.greeting == UInt8(ascii: "*"))
        #expect(ProtocolMachine.messageStart == UInt8(ascii: "^"))
        #expect(ProtocolMachine.messageEnd == UInt8(ascii: "$"))
    }
}
