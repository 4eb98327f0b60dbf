// Exercise 05-3's test: playSeedVector runs its clients at once against a green protocol server
// in the same scheduler, and counts the right answers — and the wrong ones as wrong.

@testable import Exercises
import ServerCore
import StateThreads
import Testing

@Test(.exercise("05-3"))
func exercise05_3_GreenLoadClient() {
    check("50 clients against a correct server: 50 right", countsCorrectSessions)
    check("clients against a server that answers wrongly: none right", countsWrongAnswers)
}

/// A green server on a free port: `answer` turns each read's bytes into the reply.
private func startServer(answer: @escaping (inout ProtocolMachine, [UInt8]) -> [UInt8]) throws -> (GreenSocket, UInt16) {
    let listener = try GreenSocket.listen(host: "127.0.0.1", port: 0, backlog: 512)
    let port = try listener.socket.localAddress().port
    try Scheduler.spawn {
        while let (client, _) = try? listener.accept() {
            _ = try? Scheduler.spawn {
                defer { client.close() }
                var machine = ProtocolMachine()
                var buffer = [UInt8](repeating: 0, count: 256)
                try? client.write([ProtocolMachine.greeting])
                while let count = try? buffer.withUnsafeMutableBytes({ try client.read(into: $0, timeout: .seconds(10)) }), count > 0 {
                    let reply = answer(&machine, Array(buffer[..<count]))
                    if !reply.isEmpty { try? client.write(reply) }
                }
            }
        }
    }
    return (listener, port)
}

private func countsCorrectSessions() throws {
    var right = -1
    try Scheduler.run {
        let (listener, port) = try startServer { machine, bytes in machine.feed(bytes) }
        right = playSeedVector(clients: 50, port: port)
        listener.close()  // the accept loop's next accept fails, and it ends
    }
    #expect(right == 50)
}

private func countsWrongAnswers() throws {
    var right = -1
    try Scheduler.run {
        // Answers every byte of a message with itself instead of the next byte.
        let (listener, port) = try startServer { machine, bytes in
            machine.feed(bytes).map { $0 &- 1 }
        }
        right = playSeedVector(clients: 5, port: port)
        listener.close()
    }
    #expect(right == 0, "a server that answers wrongly must not count as right")
}
