// Exercise 08-1: hand finished work back to an event loop through an eventfd.
//
// An event loop must never wait for a lock held long, nor for a worker. So when a worker thread
// has finished a job, it cannot call into the loop; it leaves the result in a mailbox and makes a
// descriptor readable, and the loop, which waits in epoll_wait on that descriptor with its
// sockets, collects the results on its next turn. Linux has a descriptor made for this, the
// eventfd: a 64-bit counter in the kernel. A write(2) of 8 bytes adds to it and makes it
// readable; a read(2) of 8 bytes returns the count and resets it to 0, so it is no longer readable.
//
// Write `post` (called by worker threads, any number at once) and `take` (called by the loop
// when epoll says the eventfd is readable). `take` must return every value posted so far, each
// exactly once, in the order it was posted, and leave the eventfd quiet until the next post.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise08_1`).

import CLinux
import Glibc
import ServerCore

/// Finished results on their way from worker threads to one event loop.
// @unchecked Sendable: `values` is only touched with `mutex` locked; `fd` never changes.
final class WorkMailbox: @unchecked Sendable {
    /// The eventfd the loop registers with EPOLLIN: readable while results wait to be taken.
    let fd: Int32
    private var values: [Int] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() throws {
        fd = try retryingOnInterrupt("eventfd(2)") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        close(fd)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Called by a worker thread: leaves `value` for the loop and wakes it.
    func post(_ value: Int) {
        pthread_mutex_lock(mutex)
        values.append(value)
        pthread_mutex_unlock(mutex)
        var one: UInt64 = 1
        while write(fd, &one, 8) < 0 && errno == EINTR {}
    }

    /// Called by the loop when `fd` is readable: every value posted so far, oldest first.
    func take() -> [Int] {
        var count: UInt64 = 0
        while read(fd, &count, 8) < 0 && errno == EINTR {}  // resets the counter (EAGAIN: already 0)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let taken = values
        values.removeAll()
        return taken
    }
}
