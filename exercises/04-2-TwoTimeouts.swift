// Exercise 04-2: two idle limits, and still every operation O(1).
//
// An event loop has one place to wait, `epoll_wait`, and one clock: its timeout. So a timeout is
// not a thread or an alarm but a record the loop consults: "when is the next deadline?" (that is
// the epoll timeout) and "which deadlines have passed?" (close those connections). Chapter 4's
// IdleTimer handles one limit for everybody.
//
// Servers often want two: a connection that has not sent a single byte yet gets a short
// `greetingTimeout` (a port scanner, a client that connected and forgot), one that has talked
// gets the longer `idleTimeout` from its last activity. Keep both, so that opening, activity,
// removal, the next deadline and each expired connection cost O(1) however many connections
// there are: no sorting, no scanning, no heap.
//
// Times are milliseconds on a monotonic clock; the tests pass them in, so no clock is needed.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise04_2`). Stuck? `swift run Progress hint 04-2`.

// I AM NOT DONE

/// Open connections and their deadlines, under two idle limits.
struct IdleLimits {
    /// How long a new connection may stay silent before its first byte.
    let greetingTimeout: Int64
    /// How long a connection that has sent something may stay idle after its last activity.
    let idleTimeout: Int64

    // TODO: your storage.

    init(greetingTimeout: Int64, idleTimeout: Int64) {
        self.greetingTimeout = greetingTimeout
        self.idleTimeout = idleTimeout
    }

    /// A new connection `fd` opened at `now`: it expires at `now + greetingTimeout` unless it
    /// is active first. A descriptor already known is treated as a new connection.
    mutating func opened(_ fd: Int32, now: Int64) {
        // TODO
    }

    /// Activity on `fd` at `now`: it now expires at `now + idleTimeout`. An unknown `fd` is
    /// added. `now` never decreases from one call to the next.
    mutating func active(_ fd: Int32, now: Int64) {
        // TODO
    }

    /// Forgets `fd` (its connection closed). Unknown descriptors are ignored.
    mutating func remove(_ fd: Int32) {
        // TODO
    }

    /// The earliest deadline of any connection, or nil if there is none.
    var nextDeadline: Int64? {
        // TODO
        nil
    }

    /// Removes and returns, in any order, every connection whose deadline is at or before `now`.
    mutating func expire(now: Int64) -> [Int32] {
        // TODO
        []
    }
}
