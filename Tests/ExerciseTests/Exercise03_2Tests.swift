// Exercise 03-2's test: `admitFromQueue` lets a client through when it waited no longer than the
// limit, and otherwise tells it why and closes the connection; a client that has already gone is
// closed quietly. The clock is passed in, so nothing here depends on how fast the machine is.

@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("03-2"))
func exercise03_2_QueueTimeout() {
    check("a client that waited less than the limit is served", aPromptClientIsServed)
    check("a client that waited exactly the limit is served", aClientAtTheLimitIsServed)
    check("a client that waited too long is told why, then closed", aLateClientIsToldAndClosed)
    check("turning away a client that has gone is quiet", turningAwayAGoneClientIsQuiet)
}

private func aPromptClientIsServed() throws {
    let pair = try SocketPair()
    defer { pair.client.close(); pair.server.close() }
    let client = QueuedClient(socket: pair.server, acceptedAt: 100)
    #expect(admitFromQueue(client, queueTimeout: 2, now: 101.5), "waited 1.5 s of 2 allowed")
    // The socket must be untouched: still open, nothing sent. The worker will greet it next.
    try pair.server.send("*")
    #expect(try pair.client.readText(1) == "*", "the admitted client's socket must stay open and silent")
}

private func aClientAtTheLimitIsServed() throws {
    let pair = try SocketPair()
    defer { pair.client.close(); pair.server.close() }
    #expect(admitFromQueue(QueuedClient(socket: pair.server, acceptedAt: 10), queueTimeout: 2, now: 12),
            "waited exactly the 2 s allowed: not too long")
}

private func aLateClientIsToldAndClosed() throws {
    let pair = try SocketPair()
    defer { pair.client.close() }
    let admitted = admitFromQueue(QueuedClient(socket: pair.server, acceptedAt: 100), queueTimeout: 2, now: 105)
    #expect(!admitted, "waited 5 s of 2 allowed: should be turned away")
    if admitted { pair.server.close(); return }
    let heard = try pair.client.readToEnd()  // ends only once the server end is closed
    #expect(String(decoding: heard, as: UTF8.self) == queueTimeoutMessage,
            "a client turned away reads queueTimeoutMessage, then end of file")
}

private func turningAwayAGoneClientIsQuiet() throws {
    let pair = try SocketPair()
    pair.client.close()
    // The write fails with EPIPE: admitFromQueue must shrug, close, and say no.
    #expect(!admitFromQueue(QueuedClient(socket: pair.server, acceptedAt: 0), queueTimeout: 1, now: 60))
}
