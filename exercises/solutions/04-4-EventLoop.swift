// Exercise 04-4, reference solution: register and dispatch.
//
// The core of Part 4's EventLoop (Chapter 4) with the handlers in a table: epoll_ctl keeps the
// kernel's interest list, the dictionary keeps ours, and each event's data carries the
// descriptor that links the two.

import CLinux
import Glibc
import ServerCore

/// What a handler is told: its descriptor, and the events epoll reported for it (a mask of
/// `EPOLLIN.rawValue`, `EPOLLOUT.rawValue`, `EPOLLHUP.rawValue`, `EPOLLERR.rawValue`, ...).
typealias EventHandler = (_ fd: Int32, _ events: UInt32) -> Void

/// A small level-triggered event loop: descriptors, the events each waits for, and a handler each.
final class MiniLoop {
    /// The epoll instance.
    private(set) var epollFD: Int32 = -1
    /// The handler of every registered descriptor.
    private var handlers: [Int32: EventHandler] = [:]

    /// How many descriptors are registered.
    var registeredCount: Int { handlers.count }

    /// Makes the epoll instance (close-on-exec). Throws a `SystemCallError` if it cannot.
    init() throws {
        epollFD = try retryingOnInterrupt("epoll_create1(2)") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    }

    /// Starts watching `fd` for `events` (e.g. `EPOLLIN.rawValue`) and calls `handler` when it is
    /// ready. Throws a `SystemCallError("epoll_ctl(2)", ...)` if epoll refuses (EEXIST for a
    /// descriptor already registered, EBADF for a closed one) and then remembers nothing.
    func register(_ fd: Int32, for events: UInt32, handler: @escaping EventHandler) throws {
        try control(EPOLL_CTL_ADD, fd, events: events)
        handlers[fd] = handler  // only once the kernel has agreed
    }

    /// Changes the events a registered `fd` waits for.
    func change(_ fd: Int32, to events: UInt32) throws {
        try control(EPOLL_CTL_MOD, fd, events: events)
    }

    /// Stops watching `fd` and forgets its handler (call it before closing `fd`).
    func unregister(_ fd: Int32) throws {
        handlers[fd] = nil  // forgotten even if epoll_ctl fails: its events must not be dispatched
        try control(EPOLL_CTL_DEL, fd, events: 0)
    }

    /// Waits up to `timeoutMilliseconds` (-1: no limit) for events, up to `maxEvents` at a time,
    /// and calls each ready descriptor's handler once. Returns how many handlers it called.
    /// An interrupted wait (EINTR) is not an error: it calls nothing and returns 0.
    @discardableResult
    func runOnce(timeoutMilliseconds: Int32, maxEvents: Int = 64) throws -> Int {
        var events = [epoll_event](repeating: epoll_event(), count: maxEvents)
        let count = events.withUnsafeMutableBufferPointer {
            epoll_wait(epollFD, $0.baseAddress, Int32($0.count), timeoutMilliseconds)
        }
        if count < 0 {
            if errno == EINTR { return 0 }
            throw SystemCallError("epoll_wait(2)", code: errno)
        }
        var called = 0
        for event in events[..<Int(count)] {
            // Looked up now, not before the batch: an earlier handler may have unregistered it.
            guard let handler = handlers[event.data.fd] else { continue }
            handler(event.data.fd, event.events)
            called += 1
        }
        return called
    }

    private func control(_ operation: Int32, _ fd: Int32, events: UInt32) throws {
        // The data travels with every event of `fd`: that is how a ready event says whose it is.
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        try retryingOnInterrupt("epoll_ctl(2)") { epoll_ctl(epollFD, operation, fd, &event) }
    }

    deinit {
        if epollFD >= 0 { close(epollFD) }
    }
}
