// Poller: the scheduler's one epoll instance, and which green thread waits on which descriptor.
//
// A green thread that would block (read says EAGAIN) parks here: the poller records it as the
// descriptor's reader (or writer) and the scheduler switches to someone else. When the run queue
// is empty the scheduler calls `wait`, which sleeps in `epoll_wait` until a descriptor is ready or
// the next timer is due, and makes every waiter whose descriptor is ready runnable again.
//
// Each descriptor is registered once, the first time someone waits on it, for both directions
// and edge-triggered (EPOLLET), and stays registered until the socket is closed through
// `forget`. Edge-triggered is right here because a green thread always *tries* the call first
// and waits only after EAGAIN: any readiness after that EAGAIN is a new edge, so no wake-up is
// lost, and a registration costs one `epoll_ctl` per descriptor instead of two per wait (add,
// then delete) as a level-triggered, one-shot design would need. Go's runtime does the same.

import CLinux
import Glibc
import ServerCore

struct Poller {
    /// Per descriptor: whether it is in the epoll set, and who waits to read or write.
    struct Slot {
        var registered = false
        var reader: ThreadPointer?
        var writer: ThreadPointer?
    }

    let epoll: Int32
    /// Indexed by descriptor number; grows to the highest descriptor waited on.
    private var slots: [Slot] = []
    private let events: UnsafeMutablePointer<epoll_event>
    private let eventCapacity = 512
    /// Threads parked here; with no timers and no runnable threads, zero means deadlock.
    private(set) var waiterCount = 0
    /// The threads the last `wait` found ready.
    private(set) var ready: [ThreadPointer] = []

    init() throws {
        epoll = try retryingOnInterrupt("epoll_create1(2)") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        events = .allocate(capacity: eventCapacity)
    }

    func close() {
        Glibc.close(epoll)
        events.deallocate()
    }

    // snippet: park-on-descriptor
    /// Records `thread` as waiting for `fd` to become readable (or writable), registering the
    /// descriptor with epoll the first time.
    mutating func park(_ thread: ThreadPointer, on fd: Int32, writing: Bool) throws {
        let index = Int(fd)
        if index >= slots.count { slots.append(contentsOf: repeatElement(Slot(), count: index + 1 - slots.count)) }
        if !slots[index].registered {
            let interest = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
            var event = epoll_event(events: interest, data: epoll_data_t(fd: fd))
            try retryingOnInterrupt("epoll_ctl(2)") { epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) }
            slots[index].registered = true
        }
        if writing {
            precondition(slots[index].writer == nil, "two green threads wait to write descriptor \(fd)")
            slots[index].writer = thread
        } else {
            precondition(slots[index].reader == nil, "two green threads wait to read descriptor \(fd)")
            slots[index].reader = thread
        }
        waiterCount += 1
    }
    // end snippet

    /// Takes `thread` off `fd` without waking it (its timeout passed, or it was interrupted).
    mutating func unpark(_ thread: ThreadPointer, from fd: Int32, writing: Bool) {
        let index = Int(fd)
        if writing, slots[index].writer == thread {
            slots[index].writer = nil
            waiterCount -= 1
        } else if !writing, slots[index].reader == thread {
            slots[index].reader = nil
            waiterCount -= 1
        }
    }

    /// Forgets `fd` before it is closed (closing removes it from the epoll set by itself) and
    /// returns the threads that were waiting on it, for the caller to wake: their next call on
    /// the closed descriptor fails with EBADF instead of waiting forever.
    mutating func forget(_ fd: Int32) -> [ThreadPointer] {
        let index = Int(fd)
        guard index >= 0 && index < slots.count else { return [] }
        let waiting = [slots[index].reader, slots[index].writer].compactMap { $0 }
        waiterCount -= waiting.count
        slots[index] = Slot()
        return waiting
    }

    // snippet: poll
    /// Sleeps in `epoll_wait` for at most `timeout` milliseconds (-1: no limit) and moves every
    /// thread whose descriptor became ready into `ready`, for the scheduler to run.
    mutating func wait(timeout: Int32) throws {
        ready.removeAll(keepingCapacity: true)
        let count = epoll_wait(epoll, events, Int32(eventCapacity), timeout)
        if count < 0 {
            if errno == EINTR { return }  // a signal (a debugger, SIGCHLD...): just look again
            throw SystemCallError("epoll_wait(2)", code: errno)
        }
        let trouble = EPOLLERR.rawValue | EPOLLHUP.rawValue
        for index in 0..<Int(count) {
            let fd = Int(events[index].data.fd)
            let happened = events[index].events
            guard fd < slots.count else { continue }
            // An error or hang-up wakes both sides: their next call returns it, or end-of-file.
            if happened & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | trouble) != 0, let reader = slots[fd].reader {
                slots[fd].reader = nil
                ready.append(reader)
            }
            if happened & (EPOLLOUT.rawValue | trouble) != 0, let writer = slots[fd].writer {
                slots[fd].writer = nil
                ready.append(writer)
            }
        }
        waiterCount -= ready.count
    }
    // end snippet
}
