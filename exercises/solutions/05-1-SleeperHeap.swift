// Exercise 05-1, reference solution: the timer heap behind sleep(for:).
//
// A binary min-heap in an array: the parent of index i is (i - 1) / 2, its children 2i + 1 and
// 2i + 2. Entries compare by deadline, then by arrival, so equal deadlines come out first-come
// first-served. It mirrors Sources/StateThreads/TimerHeap.swift, which also remembers each
// thread's position so that a timer can be cancelled when the thread is woken by something else.

/// Sleeping threads (named by an id) ordered by deadline, then by arrival.
struct SleeperHeap {
    private struct Entry {
        var deadline: UInt64
        var arrival: UInt64
        var id: Int

        func isEarlier(than other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : arrival < other.arrival
        }
    }

    private var entries: [Entry] = []
    private var arrivals: UInt64 = 0

    /// Whether nobody sleeps.
    var isEmpty: Bool { entries.isEmpty }

    /// The earliest deadline, or nil when nobody sleeps: what epoll_wait's timeout is made from.
    var nextDeadline: UInt64? { entries.first?.deadline }

    /// Adds thread `id`, to be woken at `deadline` (nanoseconds on the monotonic clock).
    mutating func push(deadline: UInt64, id: Int) {
        arrivals += 1
        entries.append(Entry(deadline: deadline, arrival: arrivals, id: id))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].isEarlier(than: entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the sleeper that is due at `now` (deadline <= now) and came first,
    /// or nil if nobody is due yet.
    mutating func popDue(now: UInt64) -> Int? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var earliest = parent
                if left < entries.count && entries[left].isEarlier(than: entries[earliest]) { earliest = left }
                if right < entries.count && entries[right].isEarlier(than: entries[earliest]) { earliest = right }
                if earliest == parent { break }
                entries.swapAt(parent, earliest)
                parent = earliest
            }
        }
        return first.id
    }
}
