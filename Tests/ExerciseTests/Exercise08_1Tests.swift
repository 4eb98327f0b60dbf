// Exercise 08-1's test: a mailbox that hands worker threads' results to an event loop.
//
// The test plays the loop: it registers the mailbox's eventfd level-triggered in an epoll
// instance, as Part 4 does with its sockets, and only takes when epoll_wait says so. A post that
// does not wake the loop, a take that leaves the eventfd readable (the loop would spin), a lost or
// duplicated value, or one thread's values out of order all fail it.

import CLinux
@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("08-1"))
func exercise08_1_WorkMailbox() throws {
    let mailbox = try WorkMailbox()
    let epoll = try retryingOnInterrupt("epoll_create1(2)") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    defer { close(epoll) }
    var interest = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: mailbox.fd))
    try retryingOnInterrupt("epoll_ctl(2)") { epoll_ctl(epoll, EPOLL_CTL_ADD, mailbox.fd, &interest) }

    try #require(try readyCount(epoll, milliseconds: 50) == 0, "nothing posted yet, but the eventfd is readable")
    mailbox.post(7)
    try #require(try readyCount(epoll, milliseconds: 2_000) == 1,
                 "post did not wake the loop: write an 8-byte 1 to the eventfd after leaving the value")
    try #require(mailbox.take() == [7])
    try #require(try readyCount(epoll, milliseconds: 100) == 0,
                 "after take the eventfd is still readable, so the loop would wake again and again: read its counter")

    // Four workers post 2,000 values each while the loop takes whenever it is woken.
    let perThread = 2_000
    let workers = try (0..<4).map { worker in
        try JoinableThread {
            for index in 0..<perThread { mailbox.post(worker * 100_000 + index) }
        }
    }
    var received: [Int] = []
    while received.count < 4 * perThread {
        guard try readyCount(epoll, milliseconds: 5_000) == 1 else {
            Issue.record("the loop was not woken although \(4 * perThread - received.count) values were still to come")
            break
        }
        received += mailbox.take()
    }
    workers.forEach { $0.join() }
    received += mailbox.take()
    #expect(received.count == 4 * perThread, "every value exactly once")
    #expect(Set(received).count == received.count, "no value twice")
    for worker in 0..<4 {
        let mine = received.filter { $0 / 100_000 == worker }
        #expect(mine == (0..<perThread).map { worker * 100_000 + $0 }, "worker \(worker)'s values, all and in the order posted")
    }
    #expect(try readyCount(epoll, milliseconds: 100) == 0, "all taken: the eventfd must be quiet")
}

/// How many descriptors `epoll_wait` reports ready within `milliseconds`.
private func readyCount(_ epoll: Int32, milliseconds: Int32) throws -> Int32 {
    var event = epoll_event()
    return try retryingOnInterrupt("epoll_wait(2)") { epoll_wait(epoll, &event, 1, milliseconds) }
}
