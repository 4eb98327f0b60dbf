// Exercise 04-4's test: `MiniLoop` keeps a real epoll interest list and calls the right handler
// for each ready descriptor.
//
// Socket pairs stand in for clients. The test reads the kernel's own view of the interest list
// from /proc/self/fdinfo/<epoll fd> (one `tfd:` line per registered descriptor, with its event
// mask), so registering, changing and unregistering are checked where they matter: in the kernel.

import CLinux
import ExerciseCatalog
@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("04-4"))
func exercise04_4_EventLoop() {
    check("makes an epoll instance", makesAnEpollInstance)
    check("keeps the kernel's interest list", keepsTheKernelsInterestList)
    check("calls the handler of each ready descriptor, once", dispatchesByDescriptor)
    check("change switches between reading and writing", changeSwitchesEvents)
    check("unregister stops the events", unregisterStopsTheEvents)
    check("skips an event whose descriptor was unregistered earlier in the batch", skipsStaleEvents)
    check("reports epoll's refusals", reportsRefusals)
}

/// The descriptors in `epoll`'s interest list and the events each waits for, as the kernel says.
private func interestList(_ epoll: Int32) throws -> [Int32: UInt32] {
    guard epoll >= 0, let text = readTextFile(atPath: "/proc/self/fdinfo/\(epoll)") else {
        throw TestFailure("epollFD (\(epoll)) is not an open descriptor")
    }
    var list: [Int32: UInt32] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("tfd:") {
        // tfd:        7 events:       19 data:                7  pos:0 ino:... sdev:...
        let words = line.split(separator: " ")
        guard words.count >= 4, let fd = Int32(words[1]), let events = UInt32(words[3], radix: 16) else { continue }
        list[fd] = events
    }
    return list
}

/// A socket pair with a non-blocking server end, as an event loop would have it.
private func clientPair() throws -> SocketPair {
    let pair = try SocketPair()
    let flags = fcntl(pair.server.fd, F_GETFL)
    _ = fcntl(pair.server.fd, F_SETFL, flags | O_NONBLOCK)
    return pair
}

/// Reads and discards whatever is waiting on the non-blocking `fd`.
private func discardInput(_ fd: Int32) {
    var buffer = [UInt8](repeating: 0, count: 4096)
    while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
}

private let readable = EPOLLIN.rawValue
private let writable = EPOLLOUT.rawValue

private func makesAnEpollInstance() throws {
    let loop = try MiniLoop()
    var target = [CChar](repeating: 0, count: 256)
    let length = readlink("/proc/self/fd/\(loop.epollFD)", &target, target.count - 1)
    let kind = length > 0 ? String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "nothing"
    #expect(kind == "anon_inode:[eventpoll]", "epollFD should be an epoll instance, but /proc says it is \(kind)")
    #expect(loop.epollFD >= 0 && fcntl(loop.epollFD, F_GETFD) & FD_CLOEXEC != 0,
            "make the epoll instance close-on-exec (EPOLL_CLOEXEC), as every descriptor of a server")
}

private func keepsTheKernelsInterestList() throws {
    let loop = try MiniLoop()
    let first = try clientPair(), second = try clientPair()
    defer { [first, second].forEach { $0.server.close(); $0.client.close() } }
    try loop.register(first.server.fd, for: readable) { _, _ in }
    try loop.register(second.server.fd, for: readable | writable) { _, _ in }
    let list = try interestList(loop.epollFD)
    #expect(Set(list.keys) == [first.server.fd, second.server.fd], "the kernel's interest list holds \(list.keys.sorted())")
    // The kernel always adds EPOLLERR | EPOLLHUP; what was asked for must be there too.
    #expect(list[first.server.fd].map { $0 & (readable | writable) } == readable, "registered for EPOLLIN")
    #expect(list[second.server.fd].map { $0 & (readable | writable) } == readable | writable, "registered for EPOLLIN | EPOLLOUT")
    #expect(loop.registeredCount == 2)
}

private func dispatchesByDescriptor() throws {
    let loop = try MiniLoop()
    let first = try clientPair(), second = try clientPair(), third = try clientPair()
    defer { [first, second, third].forEach { $0.server.close(); $0.client.close() } }
    var calls: [(handler: String, fd: Int32, events: UInt32)] = []
    for (name, pair) in [("first", first), ("second", second), ("third", third)] {
        try loop.register(pair.server.fd, for: readable) { fd, events in
            calls.append((name, fd, events))
            discardInput(fd)
        }
    }
    #expect(try loop.runOnce(timeoutMilliseconds: 0) == 0, "nothing has arrived: no handler to call")
    #expect(calls.isEmpty)

    try second.client.send("x")
    #expect(try loop.runOnce(timeoutMilliseconds: 5_000) == 1, "one descriptor is ready")
    #expect(calls.map(\.handler) == ["second"], "only the ready descriptor's handler is called")
    #expect(calls.first.map { $0.fd == second.server.fd && $0.events & readable != 0 } == true,
            "the handler is told its descriptor and EPOLLIN")

    calls.removeAll()
    try first.client.send("y")
    try third.client.send("z")
    pause(seconds: 0.05)  // both bytes in, so one wait sees both
    #expect(try loop.runOnce(timeoutMilliseconds: 5_000) == 2, "two descriptors are ready")
    #expect(calls.map(\.handler).sorted() == ["first", "third"], "each ready descriptor's own handler, once")
    #expect(calls.allSatisfy { ($0.handler == "first" ? first : third).server.fd == $0.fd }, "each handler gets its own descriptor")
    calls.removeAll()
    #expect(try loop.runOnce(timeoutMilliseconds: 0) == 0, "the handlers read everything: nothing is ready any more")
}

private func changeSwitchesEvents() throws {
    let loop = try MiniLoop()
    let pair = try clientPair()
    defer { pair.server.close(); pair.client.close() }
    var seen: [UInt32] = []
    try loop.register(pair.server.fd, for: readable) { _, events in seen.append(events) }
    #expect(try loop.runOnce(timeoutMilliseconds: 0) == 0, "waiting to read, and nothing to read")
    try loop.change(pair.server.fd, to: writable)
    #expect(try interestList(loop.epollFD)[pair.server.fd].map { $0 & (readable | writable) } == writable,
            "after change(to: EPOLLOUT) the kernel should watch for EPOLLOUT only")
    #expect(try loop.runOnce(timeoutMilliseconds: 0) == 1, "an empty send buffer is writable at once")
    #expect(seen.last.map { $0 & writable != 0 } == true, "the handler is told EPOLLOUT")
    try loop.change(pair.server.fd, to: readable)
    #expect(try loop.runOnce(timeoutMilliseconds: 0) == 0, "back to reading, and still nothing to read")
}

private func unregisterStopsTheEvents() throws {
    let loop = try MiniLoop()
    let pair = try clientPair(), other = try clientPair()
    defer { [pair, other].forEach { $0.server.close(); $0.client.close() } }
    var called = 0
    try loop.register(pair.server.fd, for: readable) { _, _ in called += 1 }
    try loop.register(other.server.fd, for: readable) { _, _ in }
    try loop.unregister(pair.server.fd)
    #expect(loop.registeredCount == 1, "unregister forgets the handler")
    #expect(try interestList(loop.epollFD).keys.sorted() == [other.server.fd], "unregister removes the descriptor from the kernel's interest list")
    try pair.client.send("x")
    pause(seconds: 0.05)
    #expect(try loop.runOnce(timeoutMilliseconds: 50) == 0, "an unregistered descriptor's handler is never called")
    #expect(called == 0)
    // The descriptor can be registered again, with a new handler.
    try loop.register(pair.server.fd, for: readable) { _, _ in called += 10 }
    #expect(try loop.runOnce(timeoutMilliseconds: 5_000) == 1)
    #expect(called == 10, "registered again, the new handler is called")
}

private func skipsStaleEvents() throws {
    let loop = try MiniLoop()
    let first = try clientPair(), second = try clientPair()
    defer { [first, second].forEach { $0.server.close(); $0.client.close() } }
    var called: [Int32] = []
    // Whichever handler runs first closes the other connection, as a server does when one
    // client's message ends another's session.
    // `unowned`: the loop holds these handlers, so a strong capture would keep the loop alive.
    try loop.register(first.server.fd, for: readable) { [unowned loop] fd, _ in
        called.append(fd)
        try? loop.unregister(second.server.fd)
    }
    try loop.register(second.server.fd, for: readable) { [unowned loop] fd, _ in
        called.append(fd)
        try? loop.unregister(first.server.fd)
    }
    try first.client.send("x")
    try second.client.send("y")
    pause(seconds: 0.05)  // both ready before the wait, so they come in one batch
    let count = try loop.runOnce(timeoutMilliseconds: 5_000)
    #expect(called.count == 1, "the second handler's descriptor was unregistered by the first; it was called anyway: \(called)")
    #expect(count == called.count, "runOnce returns how many handlers it called")
}

private func reportsRefusals() throws {
    let loop = try MiniLoop()
    let pair = try clientPair()
    defer { pair.server.close(); pair.client.close() }
    try loop.register(pair.server.fd, for: readable) { _, _ in }
    do {
        try loop.register(pair.server.fd, for: readable) { _, _ in }
        Issue.record("registering a descriptor twice should fail with EEXIST")
    } catch let error as SystemCallError {
        #expect(error.code == EEXIST, "\(error)")
    }
    do {
        // -1: never an open descriptor (a freshly closed one could be reused by a test running in parallel).
        try loop.register(-1, for: readable) { _, _ in }
        Issue.record("registering a descriptor that is not open should fail with EBADF")
    } catch let error as SystemCallError {
        #expect(error.code == EBADF, "\(error)")
    }
    #expect(loop.registeredCount == 1, "a refused registration must not leave a handler behind")
}
