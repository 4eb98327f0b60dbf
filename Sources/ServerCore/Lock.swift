// Lock: a pthread mutex for the bookkeeping classes, where locking is not the lesson.
//
// The statistics, the shutdown flag and the like are shared by the threads of Parts 2 and 3 and
// only need "one at a time". The places where the mutex *is* the lesson — Part 2's ClientSlots,
// Part 3's BlockingQueue, LiveClients' drain — keep their pthread calls in plain sight.

import Glibc

// @unchecked Sendable: the mutex is made to be shared between threads, at a fixed heap address
// (a pthread_mutex_t must not move once initialised, which a Swift stored property may).
public final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the mutex held.
    public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
