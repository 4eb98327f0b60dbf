// Exercise 02-2, reference solution: refuse clients instead of queueing them.
//
// A count guarded by a pthread mutex, like Part2Threaded's `ClientSlots`, but it never waits:
// `tryAdmit` answers at once, and a refused client gets one line telling it the server is busy.
// The check and the increment happen under one lock, so two threads can never both take the
// last place.

import Glibc
import ServerCore

/// Admits up to `limit` clients at once and says no to the rest, from any thread.
// @unchecked Sendable: `admitted` is only read or written with `mutex` locked.
final class AdmissionCounter: @unchecked Sendable {
    let limit: Int
    private var admitted = 0
    // Allocated, never a stored `pthread_mutex_t`: a mutex must not move once it is in use.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(limit: Int) {
        self.limit = limit
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Admits one more client and returns true if fewer than `limit` are admitted; otherwise
    /// changes nothing and returns false.
    func tryAdmit() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard admitted < limit else { return false }
        admitted += 1
        return true
    }

    /// Gives back the place a successful `tryAdmit()` took.
    func leave() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        admitted -= 1
    }

    /// Clients admitted right now.
    var count: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return admitted
    }
}

/// The line a refused client reads before its connection closes.
let busyMessage = "server busy, try again later\n"

/// Turns a client away: sends `busyMessage`, then closes the socket. Never throws and never
/// fails loudly: if the client has already gone, there is nobody left to tell.
func refuse(_ client: Socket) {
    try? client.writeAll(Array(busyMessage.utf8))  // EPIPE or ECONNRESET: it left first
    client.close()
}
