// Exercise 01-2's test: `serveCountingBytes` serves one client over a socket pair and counts.
//
// A socket pair is two connected sockets with no network in between: the code under test serves
// one end on a thread of its own, the test plays the client on the other. The checks: the
// example conversation with its byte counts, bytes that earn no reply, and a client that is gone
// before the server greets it.

@testable import Exercises
import Glibc
import Harness
import ServerCore
import Testing

@Test(.exercise("01-2"))
func exercise01_2_ByteTally() {
    check("serves the example conversation and counts it", servesTheExampleConversationAndCountsIt)
    check("counts bytes that earn no reply", countsBytesThatEarnNoReply)
    check("a client that vanished ends only its own session", aClientThatVanishedEndsOnlyItsOwnSession)
}

private func servesTheExampleConversationAndCountsIt() throws {
    let pair = try SocketPair()
    let tally = try serve(pair) { serveCountingBytes($0) }
    defer { pair.client.close() }
    #expect(try pair.client.readText(1) == "*", "the server speaks first: the greeting `*`")
    for (sent, expected) in seedConversation {
        try pair.client.send(sent)
        #expect(try pair.client.readText(expected.utf8.count) == expected, "the replies to \"\(sent)\"")
    }
    try pair.client.shutdown(Int32(SHUT_WR))  // the client is done: the server's next read returns 0
    let result = try #require(tally.take(within: 10), "serveCountingBytes did not return after the client closed")
    pair.server.close()
    #expect(result == ByteTally(bytesIn: 36, bytesOut: 19, failure: nil), "36 bytes sent; 1 greeting + 18 replies")
}

private func countsBytesThatEarnNoReply() throws {
    let pair = try SocketPair()
    try pair.client.send("no message here")
    try pair.client.shutdown(Int32(SHUT_WR))
    let tally = try serve(pair) { serveCountingBytes($0) }
    defer { pair.client.close() }
    let result = try #require(tally.take(within: 10), "serveCountingBytes did not return after the client closed")
    pair.server.close()
    #expect(result == ByteTally(bytesIn: 15, bytesOut: 1, failure: nil), "15 bytes in; only the greeting out")
    #expect(try pair.client.readToEnd() == [UInt8(ascii: "*")], "the greeting, and no reply to bytes outside a message")
}

private func aClientThatVanishedEndsOnlyItsOwnSession() throws {
    let pair = try SocketPair()
    try pair.client.send("^abc")
    pair.client.close()  // gone before the server even greets it
    let tally = try serve(pair) { serveCountingBytes($0) }
    let result = try #require(tally.take(within: 10), "serveCountingBytes did not return for a client that has gone")
    pair.server.close()
    #expect(result.failure != nil, "writing to a closed connection fails (EPIPE); the tally should say so")
    #expect(result.bytesOut == 0, "nothing reached the client")
}
