// ClientSession: what one client's green thread does, from greeting to goodbye.
//
// Put it next to Part 2's `serveConnection` (Sources/ServerCore/ClientSession.swift): the same
// straight-line loop — write the greeting, read, feed the protocol machine, write the replies —
// with GreenSocket calls in place of blocking ones. Each `read` that finds nothing parks this
// green thread and lets the scheduler run another; to this code it looks like an ordinary
// blocking read. That is the whole trick of Part 5.

import ServerCore
import StateThreads

/// A session the server ended, as the log line words it.
struct IdleTimeout: Error, CustomStringConvertible {
    var seconds: Double
    var description: String { "idle for \(seconds) s" }
}

struct ServerShutdown: Error, CustomStringConvertible {
    var description: String { "closed at shutdown" }
}

// snippet: serve
/// Serves `client` until it closes its side, goes quiet for `idleTimeout`, an I/O call fails, or
/// the server interrupts this thread at shutdown. Does not close the socket. `readBuffer` is
/// shared by every client of this scheduler (see GreenServer); `work` is `--work` (Chapter 8).
func serve(_ client: GreenSocket, idleTimeout: Duration?, readBuffer: UnsafeMutableRawBufferPointer, work: CPUWork) -> SessionSummary {
    var summary = SessionSummary()
    var machine = ProtocolMachine()
    var meter = WorkMeter(work, phase: Int(client.fd))
    var reply: [UInt8] = []
    do {
        try client.write([ProtocolMachine.greeting])
        summary.bytesOut += 1
        while true {
            let count = try client.read(into: readBuffer, timeout: idleTimeout)  // parks this thread only
            if count == 0 { break }  // the client closed its side
            summary.bytesIn += count
            reply.removeAll(keepingCapacity: true)
            let completed = feed(&machine, UnsafeRawBufferPointer(rebasing: readBuffer[..<count]), into: &reply)
            let costly = completed > 0 && work.isEnabled ? meter.count(completed) : 0
            work.spend(messages: costly)  // no switch: this scheduler's other clients wait
            if !reply.isEmpty {
                try client.write(reply)  // one write for everything this read earned
                summary.bytesOut += reply.count
            }
            if costly > 0 { Scheduler.yield() }  // computed: let every other runnable client have a turn first
        }
    } catch GreenThreadError.timedOut {
        summary.error = IdleTimeout(seconds: idleTimeout.map(seconds) ?? 0)
    } catch GreenThreadError.interrupted {
        summary.error = ServerShutdown()
    } catch {
        summary.error = error  // a reset, a broken pipe: this client's end, nobody else's
    }
    return summary
}
// end snippet

/// `ProtocolMachine.feed`, byte by byte through its non-generic `step`. `feed` takes any
/// `Sequence`, and a generic function called from another module runs unspecialised: perf showed
/// a fifth of this server's time spent looking up type metadata and stepping a generic iterator
/// for every byte. The loop below is specialised for raw bytes.
/// Returns how many messages a `$` closed, as `feed` does.
@inline(__always)
private func feed(_ machine: inout ProtocolMachine, _ input: UnsafeRawBufferPointer, into reply: inout [UInt8]) -> Int {
    var completed = 0
    for byte in input {
        let wasInMessage = machine.state == .inMessage
        if let answer = machine.step(byte) {
            reply.append(answer)
        } else if wasInMessage {
            completed += 1  // inside a message only `$` earns no reply, and it ends the message
        }
    }
    return completed
}

private func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
}
