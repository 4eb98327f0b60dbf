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
// `swift run Progress` (or `swift test --filter exercise08_1`). Stuck? `swift run Progress hint 08-1`.

// I AM NOT DONE

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
        // TODO: append under the mutex (workers post at the same time), then wake the loop.
        values.append(value)
    }

    /// Called by the loop when `fd` is readable: every value posted so far, oldest first.
    func take() -> [Int] {
        // TODO: reset the eventfd's counter, or a level-triggered epoll reports it forever;
        // take the values under the mutex.
        let taken = values
        values.removeAll()
        return taken
    }
}
