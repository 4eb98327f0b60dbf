// Exercise 05-1: the timer heap behind sleep(for:).
//
// A green thread that sleeps is not on any run queue: it waits in a heap ordered by deadline,
// and the scheduler asks two questions of it every time it goes idle — "how long may epoll_wait
// sleep?" (the earliest deadline) and "who is due now?" (pop while the top is due). Write that
// heap: a binary min-heap in an array, O(log n) per push and pop. Sleepers with the same deadline
// must wake first-come first-served, so keep an arrival number and break ties with it. A sleeper
// must never wake before its deadline.
//
// The runtime's own version is Sources/StateThreads/TimerHeap.swift: try first, compare after.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise05_1`). Stuck? `swift run Progress hint 05-1`.

// I AM NOT DONE

/// Sleeping threads (named by an id) ordered by deadline, then by arrival.
struct SleeperHeap {
    // TODO: the array of entries (deadline, arrival number, id) and the next arrival number.

    /// Whether nobody sleeps.
    var isEmpty: Bool {
        true  // TODO
    }

    /// The earliest deadline, or nil when nobody sleeps: what epoll_wait's timeout is made from.
    var nextDeadline: UInt64? {
        nil  // TODO
    }

    /// Adds thread `id`, to be woken at `deadline` (nanoseconds on the monotonic clock).
    mutating func push(deadline: UInt64, id: Int) {
        // TODO: append, then sift the new entry up while it is earlier than its parent.
    }

    /// Removes and returns the sleeper that is due at `now` (deadline <= now) and came first,
    /// or nil if nobody is due yet.
    mutating func popDue(now: UInt64) -> Int? {
        // TODO: look at the top; if it is due, move the last entry to the top and sift it down.
        nil
    }
}
