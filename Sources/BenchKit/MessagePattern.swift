// MessagePattern: what the load generator sends, and therefore what every reply byte must be.
//
// A message is `^`, then M payload bytes, then `$`. The payload walks through every byte value
// except the two the protocol reserves (`^` would be answered, not start a new message, and `$`
// would end the message early), so over a few messages each client sends all 254 of them —
// 0xFF included, whose correct answer 0x00 is the wrap a careless `b + 1` gets wrong. Each
// message starts where the previous one stopped, and each client starts at a different place,
// so a server that mixes up two clients' bytes is caught too.

import ServerCore

enum MessagePattern {
    /// Every byte value except `^` and `$`, in increasing order: 254 of them.
    static let alphabet: [UInt8] = (0...255).map(UInt8.init).filter {
        $0 != ProtocolMachine.messageStart && $0 != ProtocolMachine.messageEnd
    }

    /// Where client `index`'s first message starts in the alphabet.
    static func firstStart(forClient index: Int) -> Int {
        (index &* 97) % alphabet.count
    }

    /// Where the message after one that started at `start` and carried `payloadBytes` starts.
    static func nextStart(after start: Int, payloadBytes: Int) -> Int {
        (start + payloadBytes) % alphabet.count
    }

    /// Payload byte number `offset` (from 0) of a message starting at `start`.
    static func payloadByte(start: Int, offset: Int) -> UInt8 {
        alphabet[(start + offset) % alphabet.count]
    }

    // snippet: expected-reply
    /// The reply the protocol demands for payload byte number `offset`: the byte plus one,
    /// wrapping 0xFF to 0x00.
    static func expectedReply(start: Int, offset: Int) -> UInt8 {
        payloadByte(start: start, offset: offset) &+ 1
    }
    // end snippet

    /// Writes the whole message (`^`, the payload, `$`) into `buffer`, which must hold
    /// `payloadBytes + 2` bytes.
    static func write(start: Int, payloadBytes: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) {
        buffer[0] = ProtocolMachine.messageStart
        var index = start % alphabet.count
        for offset in 0..<payloadBytes {
            buffer[offset + 1] = alphabet[index]
            index += 1
            if index == alphabet.count { index = 0 }
        }
        buffer[payloadBytes + 1] = ProtocolMachine.messageEnd
    }
}
