// Exercise 07-1's test: `readExactly` reads until it has the bytes, suspending only on EAGAIN.
//
// The code under test reads the server end of a socket pair made non-blocking. The waiter stands
// in for the executor: it counts the waits, checks that each one came after the socket had been
// drained (nothing readable: the read had really found EAGAIN), and then blocks the test's thread
// in poll(2) until the socket is readable, as the epoll loop would. A helper thread sends the
// bytes late, so a read that never waits, or waits before trying, is caught.

@testable import Exercises
import CLinux  // SHUT_WR
import Glibc
import ServerCore
import Testing

@Test(.exercise("07-1"))
func exercise07_1_ReadExactly() async throws {
    try await returnsAtOnceWhenTheBytesAreThere()
    try await suspendsOnlyOnEAGAIN()
    try await endOfStreamKeepsWhatArrived()
    try await otherFailuresAreThrown()
}

/// The executor's stand-in: counts waits and waits in poll(2).
private final class PollingWaiter: ReadinessWaiter {
    var waits = 0
    var waitsWithBytesReady = 0

    func waitUntilReadable(_ fd: Int32) async throws {
        waits += 1
        var byte: UInt8 = 0
        if recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) >= 0 { waitsWithBytesReady += 1 }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 5000) == 1 else { throw TestFailure("nothing arrived within 5 s of a wait") }
    }
}

private func nonBlockingPair() throws -> SocketPair {
    let pair = try SocketPair()
    let flags = fcntl(pair.server.fd, F_GETFL)
    _ = fcntl(pair.server.fd, F_SETFL, flags | O_NONBLOCK)
    return pair
}

private func returnsAtOnceWhenTheBytesAreThere() async throws {
    let pair = try nonBlockingPair()
    defer { pair.server.close(); pair.client.close() }
    try pair.client.send("header")
    let waiter = PollingWaiter()
    let got = try await readExactly(6, from: pair.server.fd, waiter: waiter)
    #expect(got == Array("header".utf8))
    #expect(waiter.waits == 0, "the bytes were there: read(2) first, and wait only if it says EAGAIN")
}

private func suspendsOnlyOnEAGAIN() async throws {
    let pair = try nonBlockingPair()
    defer { pair.server.close(); pair.client.close() }
    try pair.client.send("ab")
    let client = pair.client
    try runOnTestThread {
        pause(seconds: 0.1)
        try? client.send("cd")
        pause(seconds: 0.1)
        try? client.send("ef")
    }
    let waiter = PollingWaiter()
    let got = try await readExactly(6, from: pair.server.fd, waiter: waiter)
    #expect(got == Array("abcdef".utf8), "every byte, in order, each once")
    #expect(waiter.waits >= 1, "the socket said EAGAIN before \"cd\" came: the read must suspend in waitUntilReadable, not spin")
    #expect(waiter.waitsWithBytesReady == 0, "waited \(waiter.waitsWithBytesReady) times with bytes ready to read: try read(2) first")
}

private func endOfStreamKeepsWhatArrived() async throws {
    let pair = try nonBlockingPair()
    defer { pair.server.close(); pair.client.close() }
    try pair.client.send("xy")
    let client = pair.client
    try runOnTestThread {
        pause(seconds: 0.1)
        try? client.shutdown(Int32(SHUT_WR))
    }
    let waiter = PollingWaiter()
    await #expect(throws: EndOfStream(received: Array("xy".utf8))) {
        _ = try await readExactly(4, from: pair.server.fd, waiter: waiter)
    }
}

private func otherFailuresAreThrown() async throws {
    let pair = try nonBlockingPair()
    pair.server.close()
    defer { pair.client.close() }
    await #expect(throws: SystemCallError("read(2)", code: EBADF)) {
        _ = try await readExactly(1, from: pair.server.fd, waiter: PollingWaiter())
    }
}
