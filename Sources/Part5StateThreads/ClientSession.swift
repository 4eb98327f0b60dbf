// ClientSession: what one client's green thread does, from greeting to goodbye.
//
// Put it next to Part 2's `serveConnection` (Sources/ServerCore/ClientSession.swift): the same
// straight-line loop — write the greeting, read, feed the protocol machine, write the replies —
// with GreenSocket calls in place of blocking ones. Each `read` that finds nothing parks this
// green thread and lets the scheduler run another; to this code it looks like an ordinary
// blocking read. That is the whole trick of Part 5.

import ServerCore
import StateThreads

/// Bytes each client's green thread reads at a time, into a buffer on its own stack. No larger
/// than 1 KiB: `withUnsafeTemporaryAllocation` promises the stack only up to that size (above it,
/// it asks whether the *kernel* thread's stack has room, which says nothing about a green thread's,
/// and may use the heap). With the frames of a parked session, the buffer fits in the stack's first
/// page, the one every green thread touches anyway: it costs an idle client no memory.
let readBufferSize = 1024

// snippet: serve
/// Serves `client` until it closes its side, goes quiet for `idleTimeout`, an I/O call fails, or
/// the server interrupts this thread at shutdown. Does not close the socket. `work` is `--work`
/// (Chapter 8).
func serve(_ client: GreenSocket, idleTimeout: Duration?, work: CPUWork) -> SessionSummary {
    // This client's own buffer, on this green thread's stack: no other client can reach it, so
    // no rule about where green threads may switch is needed to keep their bytes apart.
    withUnsafeTemporaryAllocation(byteCount: readBufferSize, alignment: 16) { readBuffer in
        serve(client, idleTimeout: idleTimeout, work: work, readingInto: readBuffer)
    }
}

private func serve(
    _ client: GreenSocket, idleTimeout: Duration?, work: CPUWork, readingInto readBuffer: UnsafeMutableRawBufferPointer
) -> SessionSummary {
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
            let completed = machine.feed(UnsafeRawBufferPointer(rebasing: readBuffer[..<count]), into: &reply)
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

private func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
}
