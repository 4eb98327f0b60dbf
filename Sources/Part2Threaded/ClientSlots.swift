// ClientSlots: counts the clients being served and, with a limit, makes the accept loop wait.
//
// The main thread takes a slot before each `accept`; a client's thread gives it back when the
// client leaves. When every slot is taken the main thread sleeps on a condition variable — it
// does not call `accept`, so new clients queue in the kernel (up to `--backlog`) rather than
// being refused. A pthread mutex and condition variable live at a fixed heap address, as they
// must: moving one after it has been used is undefined behaviour. At shutdown the main thread
// waits here until every slot is back, which is how it knows every client thread has finished.

import Glibc
import ServerCore

// @unchecked Sendable: every access to `taken` happens with `mutex` locked.
final class ClientSlots: @unchecked Sendable {
    private let limit: Int?
    private var taken = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let slotFreed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(limit: Int?) {
        self.limit = limit
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(slotFreed, nil)
    }

    deinit {
        pthread_cond_destroy(slotFreed)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        slotFreed.deallocate()
    }

    /// Clients being served right now.
    var active: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return taken
    }

    // snippet: wait-for-slot
    /// Takes a slot, first waiting for one to be released if all `limit` are taken.
    func waitForFreeSlot() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let limit, taken >= limit {
            Log.line("max clients (\(limit)) reached; new clients wait in the accept queue")
            // A loop, not an `if`: a condition variable may wake up spuriously.
            while taken >= limit { pthread_cond_wait(slotFreed, mutex) }
        }
        taken += 1
    }
    // end snippet

    /// Gives a slot back and wakes the main thread if it is waiting for one (or for all).
    func release() {
        pthread_mutex_lock(mutex)
        taken -= 1
        pthread_cond_signal(slotFreed)  // only the main thread ever waits on it
        pthread_mutex_unlock(mutex)
    }

    /// Waits until every slot has been given back: at shutdown, until every client's thread
    /// has finished (detached threads cannot be joined, so they are counted instead).
    func waitUntilAllReleased() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while taken > 0 { pthread_cond_wait(slotFreed, mutex) }
    }
}
