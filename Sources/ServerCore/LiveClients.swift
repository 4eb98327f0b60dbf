// LiveClients: the sockets of the clients being served right now, for a graceful shutdown.
//
// When a server is asked to stop it lets its clients finish, but only for `--drain-timeout`
// seconds. The thread that enforces the deadline is not the one serving a client (Part 1's main
// thread is busy inside `serveConnection`; Parts 2 and 3 have one thread per client being served),
// so it needs a list of the sockets to end: each server adds a client's socket here before
// serving it and removes it afterwards. When the deadline passes, `shutDownAll` calls
// `shutdown(SHUT_RDWR)` on every socket still listed: the thread blocked in `read` on it wakes up
// to end-of-file, finishes its session as if the client had left, and closes the socket itself.
// Only the owner ever closes a socket, so a descriptor number is never closed twice.

import Glibc

// @unchecked Sendable: `sockets` and `shuttingDown` are only touched with `mutex` locked.
public final class LiveClients: @unchecked Sendable {
    private var sockets: Set<Socket> = []
    private var shuttingDown = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let becameEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        // Time the waits on the monotonic clock, so setting the system time cannot shorten or
        // stretch the drain.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(becameEmpty, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(becameEmpty)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        becameEmpty.deallocate()
    }

    /// Clients being served right now.
    public var count: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return sockets.count
    }

    /// Lists `client` as being served. After `shutDownAll`, shuts it down at once instead:
    /// a client that slipped in that late gets no service, rather than an unbounded wait.
    public func add(_ client: Socket) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if shuttingDown {
            try? client.shutdown(Int32(SHUT_RDWR))
            return
        }
        sockets.insert(client)
    }

    /// Takes `client` off the list. Call it *before* closing the socket: once closed, its
    /// descriptor number can be handed to the next `accept`, and must not be shut down by us.
    public func remove(_ client: Socket) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        sockets.remove(client)
        if sockets.isEmpty { pthread_cond_broadcast(becameEmpty) }
    }

    // snippet: drain
    /// Waits until no client is listed or `timeout` seconds have passed.
    /// Returns `true` if every client left in time.
    public func waitUntilEmpty(timeout: Double) -> Bool {
        var deadline = MonotonicClock.deadline(after: timeout)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !sockets.isEmpty {
            // A loop, not an `if`: the wait can end spuriously, and it ends with ETIMEDOUT at the deadline.
            if pthread_cond_timedwait(becameEmpty, mutex, &deadline) == ETIMEDOUT { break }
        }
        return sockets.isEmpty
    }

    /// Shuts down both directions of every listed socket, so the threads reading from them see
    /// end-of-file and finish. Returns how many there were. Clients added later are shut down
    /// as they are added.
    @discardableResult
    public func shutDownAll() -> Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        shuttingDown = true
        for client in sockets {
            try? client.shutdown(Int32(SHUT_RDWR))  // fails only if the peer is already gone: fine
        }
        return sockets.count
    }
    // end snippet
}
