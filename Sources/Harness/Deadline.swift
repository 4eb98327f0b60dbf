// Deadline: how a client, a test or a measurement waits for a server without ever waiting forever.
//
// The servers block on purpose; that is their lesson. Whatever drives them must not: a server
// that is busy with other clients, or stuck, should cost `timeout` seconds and a clear message,
// not a hung terminal or test run. So every wait goes through poll(2) with the time left before
// a deadline (TimedConnect.swift), or checks a condition until one passes (`waitUntil`).

import Glibc
import ServerCore

/// A moment on the monotonic clock by which a wait must be over.
public struct Deadline: Sendable {
    /// The moment, in `MonotonicClock.now()` seconds.
    public let instant: Double

    public init(secondsFromNow seconds: Double) {
        instant = MonotonicClock.now() + seconds
    }

    public var hasPassed: Bool { MonotonicClock.now() >= instant }

    /// The time left as poll(2) wants it: whole milliseconds, rounded up so that a wait never
    /// ends just before the deadline and spins; 0 once the deadline has passed.
    public var remainingMilliseconds: Int32 {
        let left = (instant - MonotonicClock.now()) * 1000
        return left <= 0 ? 0 : Int32(min(left.rounded(.up), Double(Int32.max)))
    }
}

/// Checks `condition` every 10 ms until it holds (true) or `timeout` seconds pass (false).
public func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Deadline(secondsFromNow: timeout)
    while true {
        if condition() { return true }
        if deadline.hasPassed { return false }
        usleep(10_000)
    }
}
