// FuzzScript: what each client of the many-client fuzz test sends, and how, all from one seed.
//
// Everything a client does that can be decided in advance comes from a seeded generator: the
// bytes (long runs outside any message, bursts of short messages, long messages, runs of `^` and
// `$`, raw random bytes), how the writer splits them into sends and where it pauses, and how big
// the reader's reads are and where it dawdles. Replaying a seed replays all of that; only the
// interleaving with the other clients and the server is left to the machine.

import Harness
import ServerCore

/// One run of the fuzz test: how many clients, and the script of each.
struct FuzzRunScript {
    let seed: UInt64
    let clients: [FuzzClientScript]

    /// 8 to 10 clients; one of them (chosen by the seed) sends 1.5 to 2.5 MiB, the others 64 to
    /// 640 KiB each, so a run is about 4 MB.
    init(seed: UInt64) {
        self.seed = seed
        var generator = SplitMix64(seed: seed)
        let count = 8 + Int(generator.next() % 3)
        let big = Int(generator.next() % UInt64(count))
        clients = (0..<count).map { index in
            let clientSeed = generator.next()
            let volume = index == big
                ? Int.random(in: 1_536 << 10 ... 2_560 << 10, using: &generator)
                : Int.random(in: 64 << 10 ... 640 << 10, using: &generator)
            return FuzzClientScript(index: index, seed: clientSeed, volume: volume)
        }
    }

    var totalBytes: Int { clients.reduce(0) { $0 + $1.bytes.count } }

    /// The script for `seed`, made once and then shared by every server's run of it: making a
    /// run's 4 MB and their replies takes about a second in this unoptimised test build.
    static func shared(seed: UInt64) -> FuzzRunScript {
        madeLock.withLock {
            if let script = made[seed] { return script }
            let script = FuzzRunScript(seed: seed)
            made[seed] = script
            return script
        }
    }

    // A pthread mutex (ServerCore's Lock), which ThreadSanitizer knows: with Synchronization's
    // Mutex here, it reported two holders' accesses to `made` as a race.
    private static let madeLock = Lock()
    // nonisolated(unsafe): read and written only with `madeLock` held.
    nonisolated(unsafe) private static var made: [UInt64: FuzzRunScript] = [:]
}

/// One client's part in a run.
struct FuzzClientScript: Sendable {
    let index: Int
    /// Everything the client sends, in order, before it closes its side.
    let bytes: [UInt8]
    /// Every byte the server must send back, greeting first, as `ReferenceModel` says.
    let expected: [UInt8]
    /// Whether the writer waits for the greeting before its first send (otherwise it starts at
    /// once, and its first bytes may wait in the kernel until the server accepts it).
    let waitsForGreeting: Bool
    /// Seeds for the writer's split sizes and pauses and for the reader's read sizes and pauses.
    let writerSeed: UInt64
    let readerSeed: UInt64

    init(index: Int, seed: UInt64, volume: Int) {
        self.index = index
        var generator = SplitMix64(seed: seed)
        waitsForGreeting = generator.next() % 2 == 0
        writerSeed = generator.next()
        readerSeed = generator.next()
        bytes = Self.makeBytes(volume: volume, letter: UInt8(ascii: "a") + UInt8(index % 26), using: &generator)
        expected = ReferenceModel.expectedReplies(to: bytes)
    }

    private static let start = UInt8(ascii: "^")
    private static let end = UInt8(ascii: "$")

    /// At least `volume` bytes, segment after segment, each of a randomly chosen kind.
    private static func makeBytes(volume: Int, letter: UInt8, using generator: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(volume + 300_000)
        while bytes.count < volume {
            switch generator.next() % 100 {
            case 0..<22:
                // A run outside any message: the `$` first ends a message if one is open, and the
                // run holds no `^`. Such bytes earn no reply, so the server reads and reads without
                // writing: the stretch in which Part 5 once yielded with another client's bytes
                // in its shared buffer.
                bytes.append(end)
                let length = pickLength(small: 1...4096, large: 4096...262_144, using: &generator)
                switch generator.next() % 3 {
                case 0: bytes += randomBytes(length, avoiding: start, using: &generator)
                case 1: bytes += repeatElement(nonStart(UInt8(truncatingIfNeeded: generator.next())), count: length)
                default: bytes += randomBytes(length, using: &generator).map { UInt8(ascii: "a") + $0 % 26 }
                }
            case 22..<44:
                // A burst of short messages, sometimes thousands of them.
                let count = generator.next() % 4 == 0 ? Int.random(in: 50...2000, using: &generator) : Int.random(in: 1...50, using: &generator)
                for _ in 0..<count {
                    bytes.append(start)
                    bytes += randomBytes(Int(generator.next() % 63), avoiding: end, using: &generator)
                    bytes.append(end)
                }
            case 44..<56:
                // A run of `^` and `$` only, mostly one or mostly the other or an even mix.
                let startsIn256 = [51, 128, 205][Int(generator.next() % 3)]
                bytes += randomBytes(Int.random(in: 1...512, using: &generator), using: &generator).map { Int($0) < startsIn256 ? start : end }
            case 56..<70:
                // Raw random bytes, any value.
                bytes += randomBytes(Int.random(in: 1...8192, using: &generator), using: &generator)
            case 70..<82:
                // One long message (its `^`s answered with `_`), usually closed, sometimes left open.
                bytes.append(start)
                let length = pickLength(small: 1...4096, large: 4096...262_144, using: &generator)
                bytes += randomBytes(length, avoiding: end, using: &generator)
                if generator.next() % 5 != 0 { bytes.append(end) }
            case 82..<92:
                // A dense mix of the bytes the rules single out.
                let alphabet: [UInt8] = [start, end, 0xFF, 0x00, UInt8(ascii: "_"), letter, UInt8(ascii: "z")]
                bytes += randomBytes(Int.random(in: 1...4096, using: &generator), using: &generator).map { alphabet[Int($0) % alphabet.count] }
            default:
                // The reproduction in small: this client's own letter outside any message,
                // then messages of its own capital letter, so a byte from another client stands out.
                bytes.append(end)
                bytes += repeatElement(letter, count: Int.random(in: 4096...131_072, using: &generator))
                let capital = letter - 32
                for _ in 0..<Int.random(in: 10...500, using: &generator) {
                    bytes.append(start)
                    bytes += repeatElement(capital, count: 62)
                    bytes.append(end)
                }
            }
        }
        return bytes
    }

    /// A length from `small` three times in five, else from `large`.
    private static func pickLength(small: ClosedRange<Int>, large: ClosedRange<Int>, using generator: inout SplitMix64) -> Int {
        Int.random(in: generator.next() % 5 < 3 ? small : large, using: &generator)
    }

    private static func nonStart(_ byte: UInt8) -> UInt8 { byte == start ? start + 1 : byte }

    /// `count` random bytes, eight from each draw (this runs unoptimised, and byte by byte
    /// `UInt8.random` took seconds for a run's 4 MB).
    private static func randomBytes(_ count: Int, using generator: inout SplitMix64) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            while index < count {
                var word = generator.next()
                for _ in 0..<min(8, count - index) {
                    buffer[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
            initialized = count
        }
    }

    /// Random bytes without `avoided` (each one drawn becomes the next byte value up).
    private static func randomBytes(_ count: Int, avoiding avoided: UInt8, using generator: inout SplitMix64) -> [UInt8] {
        var bytes = randomBytes(count, using: &generator)
        for index in bytes.indices where bytes[index] == avoided { bytes[index] = avoided + 1 }
        return bytes
    }
}

/// How the writer cuts its bytes into sends and where it pauses.
struct WriterSchedule {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    /// Bytes for the next send: tiny (1-16) three times in ten, up to a page four times, else up to 128 KiB.
    mutating func nextSplit() -> Int {
        switch generator.next() % 10 {
        case 0..<3: Int.random(in: 1...16, using: &generator)
        case 3..<7: Int.random(in: 17...4096, using: &generator)
        default: Int.random(in: 4097...131_072, using: &generator)
        }
    }

    /// Microseconds to pause after a send: mostly none, sometimes up to 2 ms, rarely 10-50 ms.
    mutating func nextPause() -> UInt32 {
        switch generator.next() % 1000 {
        case 0..<30: UInt32.random(in: 1...2000, using: &generator)
        case 30..<33: UInt32.random(in: 10_000...50_000, using: &generator)
        default: 0
        }
    }
}

/// How big the reader's reads are and where it dawdles, while the writer goes on writing.
struct ReaderSchedule {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    /// The most bytes to take in the next read: 1-64 one time in ten, else 1-64 KiB.
    mutating func nextReadSize() -> Int {
        generator.next() % 10 == 0 ? Int.random(in: 1...64, using: &generator) : Int.random(in: 1024...65_536, using: &generator)
    }

    /// Microseconds to pause after a read: mostly none, one time in ten up to 10 ms, three in a
    /// hundred 50-200 ms (long enough for the writer to fill every buffer between it and the
    /// server). A client reads its replies in a few dozen reads, so most readers dawdle once or so.
    mutating func nextPause() -> UInt32 {
        switch generator.next() % 100 {
        case 0..<10: UInt32.random(in: 1000...10_000, using: &generator)
        case 10..<13: UInt32.random(in: 50_000...200_000, using: &generator)
        default: 0
        }
    }
}
