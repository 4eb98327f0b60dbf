// EventPoll: the one place the load generator waits — a thin wrapper over an epoll instance.
//
// The load generator drives thousands of connections from one kernel thread, so it needs what
// Part 4's server needs: non-blocking sockets and a single `epoll_wait` that says which of them
// can make progress. Each registration carries a token (the connection's index) that comes back
// with its events, so finding the connection is an array lookup. Level-triggered: a socket with
// unread bytes is reported again on the next wait, so one read per event is enough.

import CLinux
import Glibc
import ServerCore

final class EventPoll {
    private let epoll: Int32
    private let events: UnsafeMutablePointer<epoll_event>
    private let capacity: Int

    init(capacity: Int = 1024) throws {
        epoll = try retryingOnInterrupt("epoll_create1(2)") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        self.capacity = capacity
        events = .allocate(capacity: capacity)
    }

    deinit {
        events.deallocate()
        Glibc.close(epoll)
    }

    /// Starts watching `fd` for `events` (e.g. `EPOLLIN.rawValue`), reporting `token` with them.
    func add(_ fd: Int32, events: UInt32, token: UInt64) throws {
        try control(EPOLL_CTL_ADD, fd, events: events, token: token)
    }

    /// Changes the events watched on `fd`.
    func modify(_ fd: Int32, events: UInt32, token: UInt64) throws {
        try control(EPOLL_CTL_MOD, fd, events: events, token: token)
    }

    /// Waits at most `timeoutMilliseconds` (-1: forever) and hands each ready registration's token
    /// and events to `body`. Returns how many were ready (0 on timeout or a signal).
    @discardableResult
    func wait(timeoutMilliseconds: Int32, _ body: (_ token: UInt64, _ events: UInt32) -> Void) throws -> Int {
        let count = epoll_wait(epoll, events, Int32(capacity), timeoutMilliseconds)
        if count < 0 {
            if errno == EINTR { return 0 }
            throw SystemCallError("epoll_wait(2)", code: errno)
        }
        for index in 0..<Int(count) {
            body(events[index].data.u64, events[index].events)
        }
        return Int(count)
    }

    private func control(_ operation: Int32, _ fd: Int32, events: UInt32, token: UInt64) throws {
        var event = epoll_event(events: events, data: epoll_data_t(u64: token))
        try retryingOnInterrupt("epoll_ctl(2)") { epoll_ctl(epoll, operation, fd, &event) }
    }
}
