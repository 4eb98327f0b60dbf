// Exercise 04-3's test: `drainReadable` leaves nothing behind for an edge-triggered epoll.
//
// The server end of a socket pair is registered with EPOLLIN | EPOLLET. The test sends more bytes
// than one 4 KiB read takes, waits for the one edge that announces them, and calls the handler
// once — as an edge-triggered loop would — then checks every byte was read, that the next bytes
// bring a new edge, and that the peer closing is reported.

import CLinux
@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("04-3"))
func exercise04_3_EdgeTriggered() throws {
    let pair = try SocketPair()
    defer { pair.server.close(); pair.client.close() }
    let flags = fcntl(pair.server.fd, F_GETFL)
    _ = fcntl(pair.server.fd, F_SETFL, flags | O_NONBLOCK)
    let epoll = try retryingOnInterrupt("epoll_create1(2)") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    defer { close(epoll) }
    var interest = epoll_event(events: EPOLLIN.rawValue | EPOLLET.rawValue, data: epoll_data_t(fd: pair.server.fd))
    try retryingOnInterrupt("epoll_ctl(2)") { epoll_ctl(epoll, EPOLL_CTL_ADD, pair.server.fd, &interest) }

    // 48 KiB: twelve reads' worth, sent before the handler runs.
    let message = (0..<49_152).map { UInt8(truncatingIfNeeded: $0 % 253) }
    try pair.client.writeAll(message)
    #expect(try waitForEdge(epoll) == 1, "epoll reports the arrival once")
    var received: [UInt8] = []
    let stillOpen = try drainReadable(pair.server.fd, into: &received)
    #expect(stillOpen, "the peer has not closed: drainReadable must return true")
    guard received.count == message.count else {
        let left = message.count - received.count
        Issue.record("""
            after the one edge, \(left) of \(message.count) bytes were left unread. Edge-triggered epoll \
            will not report them again until new bytes arrive: read until EAGAIN.
            """)
        return
    }
    #expect(received == message, "the bytes, in order")
    #expect(try waitForEdge(epoll, milliseconds: 100) == 0, "drained: no edge without new bytes")

    try pair.client.writeAll(Array("more".utf8))
    #expect(try waitForEdge(epoll) == 1, "new bytes, a new edge")
    received.removeAll()
    #expect(try drainReadable(pair.server.fd, into: &received))
    #expect(received == Array("more".utf8))

    try pair.client.shutdown(Int32(SHUT_WR))
    #expect(try waitForEdge(epoll) == 1, "the peer closing is an edge too")
    received.removeAll()
    #expect(try drainReadable(pair.server.fd, into: &received) == false, "a read returned 0: the peer has closed")
    #expect(received.isEmpty)
}

/// How many descriptors `epoll_wait` reports within `milliseconds`.
private func waitForEdge(_ epoll: Int32, milliseconds: Int32 = 5_000) throws -> Int32 {
    var event = epoll_event()
    return try retryingOnInterrupt("epoll_wait(2)") { epoll_wait(epoll, &event, 1, milliseconds) }
}
