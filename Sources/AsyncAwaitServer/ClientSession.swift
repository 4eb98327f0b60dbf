// ClientSession: what one client's task does, from greeting to goodbye.
//
// Put it next to Part 2's `serveConnection` (Sources/ServerCore/ClientSession.swift) and Part 5's
// `serve` (Sources/Part5StateThreads/ClientSession.swift): the same straight-line loop — write the
// greeting, read, feed the protocol machine, write the replies — with `await` marking each place
// where the task may suspend. Where Part 5 hid the suspension inside a call that looked blocking,
// Swift makes it visible, and the compiler turns every `await` into a point where this function's
// state is saved in its async frame and the thread goes back to the executor.

import ServerCore

/// Sessions the server ended, as the log line words them.
struct IdleTimeout: Error, CustomStringConvertible {
    var seconds: Double
    var description: String { "idle for \(seconds) s" }
}

struct ServerShutdown: Error, CustomStringConvertible {
    var description: String { "closed at shutdown" }
}

// snippet: serve
/// Serves `client` until it closes its side, goes quiet for `idleTimeout` seconds, an I/O call
/// fails, or the server interrupts it at shutdown. Does not close the socket.
nonisolated(nonsending) func serve(_ client: some ByteStream, idleTimeout: Double?) async -> SessionSummary {
    var summary = SessionSummary()
    var machine = ProtocolMachine()
    do {
        try await client.write([ProtocolMachine.greeting])
        summary.bytesOut += 1
        while true {
            let deadline = idleTimeout.map { MonotonicClock.nanosecondsNow() + UInt64($0 * 1e9) }
            let input = try await client.read(maxCount: 4096, deadline: deadline)  // suspends this task only
            if input.isEmpty { break }  // the client closed its side
            summary.bytesIn += input.count
            var reply: [UInt8] = []
            reply.reserveCapacity(input.count)
            for byte in input {
                if let answer = machine.step(byte) { reply.append(answer) }
            }
            if !reply.isEmpty {
                try await client.write(reply)  // one write for everything this read earned
                summary.bytesOut += reply.count
            }
        }
    } catch WaitError.timedOut {
        summary.error = IdleTimeout(seconds: idleTimeout ?? 0)
    } catch WaitError.interrupted {
        summary.error = ServerShutdown()
    } catch {
        summary.error = error  // a reset, a broken pipe: this client's end, nobody else's
    }
    return summary
}
// end snippet
