// CPUWork: a request that costs processor time, for Chapter 8.
//
// Every message of the protocol costs a server almost nothing but I/O, which is where Parts 4 and
// 5 shine on one kernel thread. Real requests also compute. `--work MICROSECONDS` makes every
// server spend that much CPU after each complete message, before the replies of the read that
// completed it go out; the bytes on the wire do not change, only when they leave.
//
// The work is a deterministic computation, not a sleep: a sleeping thread frees its core, and
// the point is to occupy one. It is a chain of rounds of a 64-bit hash over a counter, each round
// depending on the last, so the processor cannot overlap them and the compiler cannot skip them.
// How many rounds make a microsecond is calibrated once, at start-up, against MonotonicClock: the
// fastest of several timed batches, so a calibration that was preempted does not count. From
// then on the work is a fixed number of rounds: the same CPU whatever else the machine does
// (a loop that watched the clock would instead do *less* work whenever it was preempted, which
// would flatter the servers on a busy machine).

import Glibc

/// How much CPU a complete message costs, and the means to spend it.
public struct CPUWork: Sendable {
    /// No work at all: what every server does by default.
    public static let none = CPUWork(microseconds: 0)

    /// CPU time per costly message.
    public let microseconds: Int
    /// Only every `every`-th message of a connection costs `microseconds` (1: every message).
    public let every: Int
    /// Hash rounds that take one microsecond on this machine (0 when there is no work).
    public let roundsPerMicrosecond: Double

    /// Work of `microseconds` per message (every `every`-th message of a connection), at
    /// `roundsPerMicrosecond` hash rounds per microsecond, or calibrated now if that is nil and
    /// there is any work. (Bench passes one calibration to every server it compares, so that they
    /// all do the same number of rounds: a calibration taken while the machine is busy can differ
    /// from the next one by a third.)
    public init(microseconds: Int, every: Int = 1, roundsPerMicrosecond: Double? = nil) {
        self.microseconds = max(0, microseconds)
        self.every = max(1, every)
        self.roundsPerMicrosecond = microseconds > 0 ? (roundsPerMicrosecond ?? Self.calibrate()) : 0
    }

    /// Whether a message can cost anything at all.
    public var isEnabled: Bool { microseconds > 0 }

    // snippet: costly-messages
    /// How many of a connection's messages numbered `seen + 1 ... seen + completed` cost work:
    /// those whose number is a multiple of `every`.
    public func costlyMessages(completed: Int, after seen: Int) -> Int {
        (seen + completed) / every - seen / every
    }
    // end snippet

    /// Spends the CPU of `count` costly messages on the calling thread.
    public func spend(messages count: Int) {
        guard count > 0, microseconds > 0 else { return }
        let rounds = Int((roundsPerMicrosecond * Double(microseconds * count)).rounded())
        Self.keep(Self.hash(rounds: rounds, seed: UInt64(truncatingIfNeeded: count)))
    }

    // snippet: hash-rounds
    /// `rounds` rounds of SplitMix64's mixing function over a counter, each fed the last one's
    /// result: a dependent chain of multiplies the processor must do one after the other.
    @inline(never)
    public static func hash(rounds: Int, seed: UInt64) -> UInt64 {
        var value = seed
        var counter: UInt64 = 0
        for _ in 0..<rounds {
            counter &+= 0x9E37_79B9_7F4A_7C15
            var z = value ^ counter
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            value = z ^ (z >> 31)
        }
        return value
    }
    // end snippet

    /// Hash rounds per microsecond: the fastest of several timed batches of 20,000 rounds
    /// (tens of microseconds each), so a batch the kernel preempted is simply not the minimum.
    public static func calibrate() -> Double {
        let rounds = 20_000
        var fastest = UInt64.max
        for trial in 0..<15 {
            let start = MonotonicClock.nanosecondsNow()
            keep(hash(rounds: rounds, seed: UInt64(trial)))
            fastest = min(fastest, MonotonicClock.nanosecondsNow() - start)
        }
        return Double(rounds) / (Double(max(fastest, 1)) / 1000)
    }

    /// Makes the hash's result observable, so the optimiser cannot drop the loop that made it.
    /// A hash equal to 0 is so unlikely that the system call below is, in practice, never made.
    @inline(never)
    static func keep(_ value: UInt64) {
        if value == 0 { _ = getpid() }
    }
}

// snippet: work-meter
/// One connection's count of completed messages, which says which of them cost work.
public struct WorkMeter: Sendable {
    public let work: CPUWork
    private var seen: Int

    /// `phase` shifts which messages are costly when only every `every`-th is, so that clients
    /// which started together do not all hit their costly message at the same moment. The
    /// servers pass the connection's descriptor number; it is hashed (Fibonacci hashing), so
    /// that consecutive numbers spread over the whole cycle of `every` messages.
    public init(_ work: CPUWork, phase: Int = 0) {
        self.work = work
        seen = Self.offset(phase: phase, every: work.every)
    }

    /// Where in its cycle of `every` messages a connection with this `phase` starts.
    static func offset(phase: Int, every: Int) -> Int {
        let spread = UInt64(truncatingIfNeeded: phase) &* 0x9E37_79B9_7F4A_7C15
        return Int(spread >> 33) % every
    }

    /// Counts `completed` more messages and returns how many of them cost work.
    public mutating func count(_ completed: Int) -> Int {
        let costly = work.costlyMessages(completed: completed, after: seen)
        seen += completed
        return costly
    }
}
// end snippet
