// ProtocolSessions: the session steps every server suite takes, written once: connect and check
// the greeting, run the seed conversation, and prove no stray reply bytes are in flight.

import Harness
import ServerCore

extension TestClient {
    /// Connects and checks that the first byte to arrive is the greeting, `*`.
    static func connectAndGreet(port: UInt16) throws -> TestClient {
        let client = try connect(port: port)
        do {
            let first = try client.receive(exactly: 1)
            if first != [ProtocolMachine.greeting] { throw HarnessError("expected the greeting \"*\", got \(describeBytes(first))") }
        } catch {
            client.close()
            throw error
        }
        return client
    }

    /// Sends the seed chunks, waiting for each chunk's reply before sending the next.
    func runSeedVector() throws {
        for (input, reply) in seedConversation {
            try send(input)
            let got = try receive(reply)
            if got != reply { throw HarnessError("sent \"\(input)\", expected \"\(reply)\", got \"\(got)\"") }
        }
    }

    /// Proves no stray reply bytes are in flight: `$^A$` earns exactly `B` from either state
    /// (a `$` while waiting is ignored), so anything else arriving first is a byte too many.
    func expectNoStrayReplies() throws {
        try send("$^A$")
        let got = try receive(exactly: 1)
        if got != Array("B".utf8) { throw HarnessError("expected only \"B\" after \"$^A$\", got \(describeBytes(got)) first") }
    }
}
