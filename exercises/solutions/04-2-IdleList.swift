// Exercise 04-2, reference solution: timers as data.
//
// A doubly linked list in a dictionary: each descriptor's entry names its older and newer
// neighbours, so moving a connection to the newest end, removing it, and popping the oldest are
// all O(1). Ordered by last activity, the list is also ordered by deadline, because every
// connection has the same timeout and time only moves forward. (Part 4's IdleTimer is the same.)

/// Connections ordered by last activity, for an idle timeout of `timeout` milliseconds.
struct IdleList {
    let timeout: Int64

    private struct Entry {
        var lastActive: Int64
        var older: Int32?
        var newer: Int32?
    }

    private var entries: [Int32: Entry] = [:]
    private var oldest: Int32?
    private var newest: Int32?

    init(timeout: Int64) {
        self.timeout = timeout
    }

    /// Records activity on `fd` at time `now`. A new `fd` is added; a known one moves to the
    /// newest end. `now` never decreases from one call to the next.
    mutating func touch(_ fd: Int32, now: Int64) {
        remove(fd)
        entries[fd] = Entry(lastActive: now, older: newest, newer: nil)
        if let newest { entries[newest]!.newer = fd } else { oldest = fd }
        newest = fd
    }

    /// Forgets `fd` (its connection closed). Unknown descriptors are ignored.
    mutating func remove(_ fd: Int32) {
        guard let entry = entries.removeValue(forKey: fd) else { return }
        if let older = entry.older { entries[older]!.newer = entry.newer } else { oldest = entry.newer }
        if let newer = entry.newer { entries[newer]!.older = entry.older } else { newest = entry.older }
    }

    /// The earliest deadline (last activity + timeout) of any connection, or nil if there is none.
    var nextDeadline: Int64? {
        oldest.map { entries[$0]!.lastActive + timeout }
    }

    /// Removes and returns, oldest first, every connection whose deadline is at or before `now`.
    mutating func expire(now: Int64) -> [Int32] {
        var expired: [Int32] = []
        while let fd = oldest, entries[fd]!.lastActive + timeout <= now {
            remove(fd)
            expired.append(fd)
        }
        return expired
    }
}
