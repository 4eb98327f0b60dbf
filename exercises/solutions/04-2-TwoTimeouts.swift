// Exercise 04-2, reference solution: two idle limits, two lists in order of time.
//
// Chapter 4's IdleTimer rests on one fact: with one timeout for everybody, the first to expire is
// the least recently active. That stays true inside each group of connections that share a limit,
// so two lists ordered by time do the job, each a doubly linked list threaded through a
// dictionary (the same structure as Part 4's IdleTimer), and the answer is the earlier of their
// two oldest entries.

/// Descriptors in the order they were last touched, each with its deadline.
private struct DeadlineList {
    private struct Entry {
        var deadline: Int64
        var older: Int32?
        var newer: Int32?
    }
    private var entries: [Int32: Entry] = [:]
    private var oldest: Int32?
    private var newest: Int32?

    /// Puts `fd` at the newest end with `deadline` (which is never earlier than any other's).
    mutating func append(_ fd: Int32, deadline: Int64) {
        remove(fd)
        entries[fd] = Entry(deadline: deadline, older: newest, newer: nil)
        if let newest { entries[newest]!.newer = fd } else { oldest = fd }
        newest = fd
    }

    /// Forgets `fd`; returns whether it was there.
    @discardableResult
    mutating func remove(_ fd: Int32) -> Bool {
        guard let entry = entries.removeValue(forKey: fd) else { return false }
        if let older = entry.older { entries[older]!.newer = entry.newer } else { oldest = entry.newer }
        if let newer = entry.newer { entries[newer]!.older = entry.older } else { newest = entry.older }
        return true
    }

    var nextDeadline: Int64? { oldest.map { entries[$0]!.deadline } }

    /// Removes every descriptor whose deadline is at or before `now` and appends it to `expired`.
    mutating func expire(now: Int64, into expired: inout [Int32]) {
        while let fd = oldest, entries[fd]!.deadline <= now {
            remove(fd)
            expired.append(fd)
        }
    }
}

/// Open connections and their deadlines, under two idle limits.
struct IdleLimits {
    /// How long a new connection may stay silent before its first byte.
    let greetingTimeout: Int64
    /// How long a connection that has sent something may stay idle after its last activity.
    let idleTimeout: Int64

    /// Connections that have not sent anything yet, in order of opening.
    private var silent = DeadlineList()
    /// Connections that have, in order of last activity.
    private var talking = DeadlineList()

    init(greetingTimeout: Int64, idleTimeout: Int64) {
        self.greetingTimeout = greetingTimeout
        self.idleTimeout = idleTimeout
    }

    /// A new connection `fd` opened at `now`: it expires at `now + greetingTimeout` unless it
    /// is active first. A descriptor already known is treated as a new connection.
    mutating func opened(_ fd: Int32, now: Int64) {
        talking.remove(fd)
        silent.append(fd, deadline: now + greetingTimeout)
    }

    /// Activity on `fd` at `now`: it now expires at `now + idleTimeout`. An unknown `fd` is
    /// added. `now` never decreases from one call to the next.
    mutating func active(_ fd: Int32, now: Int64) {
        silent.remove(fd)
        talking.append(fd, deadline: now + idleTimeout)
    }

    /// Forgets `fd` (its connection closed). Unknown descriptors are ignored.
    mutating func remove(_ fd: Int32) {
        if !silent.remove(fd) { talking.remove(fd) }
    }

    /// The earliest deadline of any connection, or nil if there is none.
    var nextDeadline: Int64? {
        switch (silent.nextDeadline, talking.nextDeadline) {
        case let (first?, second?): min(first, second)
        case let (first, second): first ?? second
        }
    }

    /// Removes and returns, in any order, every connection whose deadline is at or before `now`.
    mutating func expire(now: Int64) -> [Int32] {
        var expired: [Int32] = []
        silent.expire(now: now, into: &expired)
        talking.expire(now: now, into: &expired)
        return expired
    }
}
