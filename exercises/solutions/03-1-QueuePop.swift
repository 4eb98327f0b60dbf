// Exercise 03-1, reference solution: write BlockingQueue's pop.
//
// The mirror image of `push`, as in Part3Pool's BlockingQueue: wait on `notEmpty` in a loop that
// re-checks the condition after every wake-up, take the front item, and signal `notFull` for a
// producer that may be waiting for the place just freed. A closed queue answers nil at once.

import Glibc

/// A first-in, first-out queue of at most `capacity` items, shared by producer and consumer threads.
// @unchecked Sendable: `items` and `closed` are only touched with `mutex` locked, and the mutex
// and condition variables live at fixed heap addresses (they must never move).
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    let capacity: Int
    private var items: [Element] = []
    private var closed = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let notEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let notFull = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(capacity: Int) {
        precondition(capacity > 0, "a BlockingQueue needs room for at least one item")
        self.capacity = capacity
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(notEmpty, nil)
        pthread_cond_init(notFull, nil)
    }

    deinit {
        pthread_cond_destroy(notFull)
        pthread_cond_destroy(notEmpty)
        pthread_mutex_destroy(mutex)
        notFull.deallocate()
        notEmpty.deallocate()
        mutex.deallocate()
    }

    /// Appends `item` at the back, first waiting while the queue is full.
    /// Returns `false`, without appending, if the queue is (or while waiting becomes) closed.
    func push(_ item: Element) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while items.count == capacity && !closed {
            pthread_cond_wait(notFull, mutex)
        }
        if closed { return false }
        items.append(item)
        pthread_cond_signal(notEmpty)
        return true
    }

    /// Removes and returns the item at the front, first waiting while the queue is empty.
    /// Returns `nil` once the queue is closed.
    func pop() -> Element? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        // A loop, not an `if`: the wait can end with nothing to take (a spurious wake-up, or a
        // faster consumer took the item), and then it must wait again.
        while items.isEmpty && !closed {
            pthread_cond_wait(notEmpty, mutex)  // unlocks, sleeps, locks again before returning
        }
        if closed { return nil }
        let item = items.removeFirst()
        pthread_cond_signal(notFull)  // one free place: wake one waiting producer, if any
        return item
    }

    /// Closes the queue: every waiting thread wakes up and gets its "closed" answer, and so does
    /// every later call. Returns the items that were still queued.
    @discardableResult
    func close() -> [Element] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        closed = true
        let leftovers = items
        items.removeAll()
        pthread_cond_broadcast(notEmpty)
        pthread_cond_broadcast(notFull)
        return leftovers
    }
}
