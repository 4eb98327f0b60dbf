// Exercise 03-1: take a batch from the BlockingQueue.
//
// Part 3's workers take clients from a BlockingQueue: one pthread mutex guards the items, and two
// condition variables let a thread sleep until the queue changes the way it needs. Chapter 3
// walks through `push`, `pop` and `close`; they are given below. Some consumers would rather
// take several items per lock (a logger writing lines in batches, a worker serving a few quick
// clients in a row). Write `pop(upTo:)`. It must
//   - wait while the queue is empty (and not closed), without holding the mutex while it sleeps;
//   - survive a wake-up that finds nothing to take;
//   - return up to `maxCount` items from the front, in order, and never wait for more than are
//     there: one item is a batch;
//   - wake *every* producer that may be waiting for the places it freed;
//   - return an empty batch once the queue is closed.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise03_1`). Stuck? `swift run Progress hint 03-1`.

// I AM NOT DONE

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
    /// Returns `nil` once the queue is closed. (Chapter 3's `pop`, given.)
    func pop() -> Element? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while items.isEmpty && !closed {
            pthread_cond_wait(notEmpty, mutex)
        }
        if closed { return nil }
        let item = items.removeFirst()
        pthread_cond_signal(notFull)  // one free place: wake one waiting producer, if any
        return item
    }

    /// Removes and returns up to `maxCount` items from the front, oldest first, first waiting
    /// while the queue is empty. Returns at least one item, or an empty array once the queue is
    /// closed.
    func pop(upTo maxCount: Int) -> [Element] {
        precondition(maxCount > 0, "a batch holds at least one item")
        // TODO: lock; wait on `notEmpty` while there is nothing to take; take up to maxCount
        // items from the front; wake the producers waiting on `notFull`; unlock on every path.
        return []
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
