// Exercise 04-2: timers as data — which connections have been idle too long?
//
// An event loop has one place to wait, `epoll_wait`, and one clock: its timeout. So a timeout is
// not a thread or an alarm but a record the loop consults: "when is the next deadline?" (that is
// the epoll timeout) and "which deadlines have passed?" (close those connections). When every
// connection gets the same idle limit, the one that expires first is always the one active least
// recently. Keep connections (by descriptor) in order of last activity, and make every operation
// cheap: the loop touches a connection on every read.
//
// Times are milliseconds on a monotonic clock; the tests pass them in, so no clock is needed.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise04_2`).

// I AM NOT DONE

/// Connections ordered by last activity, for an idle timeout of `timeout` milliseconds.
struct IdleList {
    let timeout: Int64

    // TODO: your storage. (A dictionary from descriptor to an entry that knows its older and
    // newer neighbours is one way to make every operation O(1).)

    init(timeout: Int64) {
        self.timeout = timeout
    }

    /// Records activity on `fd` at time `now`. A new `fd` is added; a known one moves to the
    /// newest end. `now` never decreases from one call to the next.
    mutating func touch(_ fd: Int32, now: Int64) {
        // TODO
    }

    /// Forgets `fd` (its connection closed). Unknown descriptors are ignored.
    mutating func remove(_ fd: Int32) {
        // TODO
    }

    /// The earliest deadline (last activity + timeout) of any connection, or nil if there is none.
    var nextDeadline: Int64? {
        // TODO
        nil
    }

    /// Removes and returns, oldest first, every connection whose deadline is at or before `now`.
    mutating func expire(now: Int64) -> [Int32] {
        // TODO
        []
    }
}
