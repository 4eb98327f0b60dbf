// IdleTimer: which connections have been quiet for too long, without a thread or a timer each.
//
// The loop's only clock is the timeout it passes to `epoll_wait`. So timers are data: this
// structure answers "when does the next one fire?" (the timeout) and "which have fired?" (after
// the wait returns). Every connection gets the same timeout, so the connection that was active
// least recently always expires first. Keeping connections in a list ordered by last activity —
// the least recently active at the head, a connection moved to the tail each time it does
// something — makes every operation O(1): no heap, no sorting, no scan of idle connections.

import ServerCore

/// Milliseconds on the monotonic clock, which wall-clock changes do not move.
typealias Milliseconds = Int64

/// ServerCore's `MonotonicClock`, in the loop's unit: `epoll_wait` takes its timeout in milliseconds.
func monotonicMilliseconds() -> Milliseconds {
    Milliseconds(MonotonicClock.nanosecondsNow() / 1_000_000)
}

// snippet: idle-timer
/// Connections (by descriptor) in order of last activity, as a doubly linked list threaded
/// through a dictionary so that touching, removing and expiring are all O(1).
struct IdleTimer {
    let timeout: Milliseconds
    private struct Entry {
        var lastActive: Milliseconds
        var older: Int32?
        var newer: Int32?
    }
    private var entries: [Int32: Entry] = [:]
    private var oldest: Int32?
    private var newest: Int32?

    init(timeout: Milliseconds) {
        self.timeout = timeout
    }

    /// Records activity on `fd` at `now`: it moves to the newest end of the list.
    mutating func touch(_ fd: Int32, now: Milliseconds) {
        remove(fd)
        entries[fd] = Entry(lastActive: now, older: newest, newer: nil)
        if let newest { entries[newest]!.newer = fd } else { oldest = fd }
        newest = fd
    }

    /// Forgets `fd` (its connection has closed).
    mutating func remove(_ fd: Int32) {
        guard let entry = entries.removeValue(forKey: fd) else { return }
        if let older = entry.older { entries[older]!.newer = entry.newer } else { oldest = entry.newer }
        if let newer = entry.newer { entries[newer]!.older = entry.older } else { newest = entry.older }
    }

    /// When the least recently active connection times out, if there is one.
    var nextDeadline: Milliseconds? {
        oldest.map { entries[$0]!.lastActive + timeout }
    }

    /// Removes and returns every connection idle for `timeout` or longer at `now`.
    mutating func expire(now: Milliseconds) -> [Int32] {
        var expired: [Int32] = []
        while let fd = oldest, entries[fd]!.lastActive + timeout <= now {
            remove(fd)
            expired.append(fd)
        }
        return expired
    }
}
// end snippet
