// Exercise 02-3's test: `serveUntilIdle` ends a silent session after its idle limit, never a
// talkative one, and says why each session ended. Timing bounds are generous: a loaded machine
// may be slow, so the checks look at which way a session ended, not at how fast.

@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("02-3"))
func exercise02_3_IdleTimeout() {
    check("ends a session that says nothing", endsASessionThatSaysNothing)
    check("keeps a talkative session alive", keepsATalkativeSessionAlive)
    check("reports a connection that failed", reportsAConnectionThatFailed)
}

private func endsASessionThatSaysNothing() throws {
    let pair = try SocketPair()
    let started = MonotonicClock.now()
    let ending = try serve(pair) { serveUntilIdle($0, idleSeconds: 0.3) }
    defer { pair.client.close() }
    #expect(try pair.client.readText(1) == "*", "the server speaks first: the greeting `*`")
    guard let result = ending.take(within: 10) else {
        Issue.record("still serving a client that has said nothing for 10 s; the idle limit was 0.3 s")
        try pair.client.shutdown(Int32(SHUT_WR))  // unblock it: its read sees end of file
        if ending.take(within: 5) != nil { pair.server.close() }
        return
    }
    let elapsed = MonotonicClock.now() - started
    pair.server.close()
    #expect(result == .idleTimeout, "a client quiet for longer than the idle limit")
    #expect(elapsed >= 0.25, "the session ended after \(elapsed) s, before the client had been quiet for 0.3 s")
}

private func keepsATalkativeSessionAlive() throws {
    let pair = try SocketPair()
    let ending = try serve(pair) { serveUntilIdle($0, idleSeconds: 1.0) }
    defer { pair.client.close() }
    #expect(try pair.client.readText(1) == "*", "the server speaks first: the greeting `*`")
    let started = MonotonicClock.now()
    for _ in 0..<8 {  // 8 messages 0.2 s apart: 1.6 s in all, longer than the 1 s idle limit
        pause(seconds: 0.2)
        try pair.client.send("^a$")
        do {
            #expect(try pair.client.readText(1) == "b", "the reply to \"^a$\"")
        } catch {
            let elapsed = MonotonicClock.now() - started
            Issue.record("the session ended after \(elapsed) s while the client was still talking: \(error)")
            return
        }
    }
    try pair.client.shutdown(Int32(SHUT_WR))
    let result = try #require(ending.take(within: 10), "serveUntilIdle did not return after the client closed")
    pair.server.close()
    #expect(result == .clientClosed, "a client that closed its side")
}

private func reportsAConnectionThatFailed() throws {
    let pair = try SocketPair()
    pair.client.close()  // gone before the greeting: writing it fails with EPIPE
    let ending = try serve(pair) { serveUntilIdle($0, idleSeconds: 5) }
    let result = try #require(ending.take(within: 10), "serveUntilIdle did not return for a client that has gone")
    pair.server.close()
    guard case .failed(let failure) = result else {
        Issue.record("expected .failed(...) for a connection that broke, got \(result)")
        return
    }
    #expect(failure.code == EPIPE || failure.code == ECONNRESET, "\(failure)")
}
