// BlockingQueue: a first-in, first-out queue of fixed capacity that threads hand work through.
//
// The accept loop pushes each connected client; the pool's workers pop them. Everything the
// threads share — the items and the `closed` flag — is guarded by one pthread mutex, and two
// condition variables let a thread sleep until the queue changes in the way it needs: `notEmpty`
// for a worker with nothing to do, `notFull` for a producer with nowhere to put its item. Every
// wait sits in a `while` loop that re-checks its condition, because `pthread_cond_wait` may
// return without anyone having signalled (a "spurious wake-up"), and because another thread
// may have taken the item or the free place between the signal and the wake-up.
//
// Like Python's `queue.Queue`, it also counts the items that have been pushed and not yet marked
// done by a consumer (`unfinished`), which is how the pool can tell "every worker busy and the
// queue full" without a race between a worker taking a client and saying it is busy.

import Glibc

// @unchecked Sendable: `items`, `unfinished` and `closed` are only touched with `mutex` locked, and the
// mutex and condition variables live at fixed heap addresses (they must never move).
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    /// The most items the queue holds; `push` waits while it holds this many.
    let capacity: Int
    private var items: [Element] = []
    private var unfinished = 0
    private var closed = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let notEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let notFull = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(capacity: Int) {
        precondition(capacity > 0, "a BlockingQueue needs room for at least one item")
        self.capacity = capacity
        items.reserveCapacity(capacity)
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

    // snippet: push
    /// Appends `item` at the back, first waiting while the queue is full.
    /// Returns `false`, without appending, if the queue is (or while waiting becomes) closed.
    func push(_ item: Element) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while items.count == capacity && !closed {
            pthread_cond_wait(notFull, mutex)  // unlocks, sleeps, locks again before returning
        }
        if closed { return false }
        assert(items.count < capacity, "push past capacity: a wait that should loop did not")
        items.append(item)
        unfinished += 1
        pthread_cond_signal(notEmpty)  // one new item: wake one waiting consumer, if any
        return true
    }
    // end snippet

    // snippet: pop
    /// Removes and returns the item at the front, first waiting while the queue is empty.
    /// Returns `nil` once the queue is closed.
    func pop() -> Element? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while items.isEmpty && !closed {
            pthread_cond_wait(notEmpty, mutex)
        }
        if closed { return nil }
        let item = items.removeFirst()  // shifts at most `capacity` items: cheap for a small queue
        pthread_cond_signal(notFull)  // one free place: wake one waiting producer, if any
        return item
    }
    // end snippet

    // snippet: close
    /// Closes the queue: every thread waiting in `push`, `pop` or `waitForRoom` wakes up and
    /// gets its "closed" answer, and so does every later call. Returns the items that were
    /// still queued, in order, for the caller to dispose of.
    @discardableResult
    func close() -> [Element] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        closed = true
        let leftovers = items
        items.removeAll()
        unfinished -= leftovers.count
        pthread_cond_broadcast(notEmpty)  // broadcast, not signal: *every* waiter must wake
        pthread_cond_broadcast(notFull)
        return leftovers
    }
    // end snippet

    /// Waits while the queue is full, without pushing anything. Returns `false` once the
    /// queue is closed. A producer that calls it and then `push` will not block in `push`
    /// as long as it is the only producer.
    func waitForRoom() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while items.count == capacity && !closed {
            pthread_cond_wait(notFull, mutex)
        }
        // Pass the wake-up on: the free place may be meant for a producer waiting in `push`.
        if !closed && items.count < capacity { pthread_cond_signal(notFull) }
        return !closed
    }

    /// Tells the queue that a consumer has finished with an item it popped.
    func markDone() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        unfinished -= 1
    }

    /// Items pushed and not yet marked done: those queued plus those consumers are working on
    /// (a snapshot: it may change at once).
    var unfinishedCount: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return unfinished
    }

    /// How many items are queued right now (a snapshot).
    var count: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return items.count
    }
}
