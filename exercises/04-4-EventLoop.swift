// Exercise 04-4: register and dispatch, the heart of an event loop.
//
// Part 4's EventLoop (Chapter 4) is one thread that asks the kernel "which of my descriptors are
// ready?" and hands each ready one to the code that owns it. Two tables make that work: the
// kernel's *interest list* — which descriptors, waiting for which events — kept with
// `epoll_ctl`, and the loop's own table from descriptor to handler. `epoll_wait` fills a *ready
// list* of events, each carrying the data you registered with it; the loop reads the descriptor
// from that data and calls its handler.
//
// Write MiniLoop, a general version of that core: `init` makes the epoll instance
// (`epoll_create1`); `register` adds a descriptor with its events and handler (EPOLL_CTL_ADD);
// `change` changes the events it waits for (EPOLL_CTL_MOD); `unregister` removes it
// (EPOLL_CTL_DEL); `runOnce` waits once and dispatches. Registrations are level-triggered, as in
// Part 4. One rule needs care: a handler may unregister another descriptor whose event is already
// in the same batch — that handler must not be called.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise04_4`). Stuck? `swift run Progress hint 04-4`.

// I AM NOT DONE

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
        // TODO
    }

    /// Starts watching `fd` for `events` (e.g. `EPOLLIN.rawValue`) and calls `handler` when it is
    /// ready. Throws a `SystemCallError("epoll_ctl(2)", ...)` if epoll refuses (EEXIST for a
    /// descriptor already registered, EBADF for a closed one) and then remembers nothing.
    func register(_ fd: Int32, for events: UInt32, handler: @escaping EventHandler) throws {
        // TODO
    }

    /// Changes the events a registered `fd` waits for.
    func change(_ fd: Int32, to events: UInt32) throws {
        // TODO
    }

    /// Stops watching `fd` and forgets its handler (call it before closing `fd`).
    func unregister(_ fd: Int32) throws {
        // TODO
    }

    /// Waits up to `timeoutMilliseconds` (-1: no limit) for events, up to `maxEvents` at a time,
    /// and calls each ready descriptor's handler once. Returns how many handlers it called.
    /// An interrupted wait (EINTR) is not an error: it calls nothing and returns 0.
    @discardableResult
    func runOnce(timeoutMilliseconds: Int32, maxEvents: Int = 64) throws -> Int {
        // TODO
        0
    }

    deinit {
        if epollFD >= 0 { close(epollFD) }
    }
}
