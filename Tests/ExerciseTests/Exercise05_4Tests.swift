// Exercise 05-4's test: `greenWriteAll` delivers every byte, in order, through a send buffer far
// smaller than the data, while the green thread reading the other end sleeps between reads; it
// parks instead of spinning, honours its timeout and reports a vanished peer.
//
// Each check runs its own scheduler on a kernel thread of its own, so a write that never returns
// fails the check after 30 s instead of hanging the run.

import ExerciseCatalog
@testable import Exercises
import Glibc
import ServerCore
import StateThreads
import Testing

@Test(.exercise("05-4"))
func exercise05_4_GreenWrite() {
    check("delivers every byte while the reader sleeps, without spinning", deliversEveryByteWithoutSpinning)
    check("gives up after its timeout", givesUpAfterItsTimeout)
    check("throws when the peer has gone", throwsWhenThePeerHasGone)
}

/// A socket pair, both ends non-blocking (as green sockets are), with a small send buffer.
private func greenPair() throws -> (writer: Int32, reader: Int32) {
    let pair = try SocketPair()
    for fd in [pair.server.fd, pair.client.fd] {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
    try pair.server.setOption(SOL_SOCKET, SO_SNDBUF, 8192)
    return (pair.server.fd, pair.client.fd)
}

/// Runs `main` in a scheduler on a kernel thread of its own and returns what it returned, or
/// throws if it did not finish within 30 s.
private func runGreen<Value: Sendable>(_ main: @escaping @Sendable () throws -> Value) throws -> Value {
    let result = Handoff<Result<Value, any Error>>()
    try runOnTestThread {
        var outcome: Result<Value, any Error> = .failure(TestFailure("the scheduler returned without running main"))
        do {
            try Scheduler.run { outcome = Result { try main() } }
        } catch {
            outcome = .failure(error)
        }
        result.put(outcome)
    }
    guard let outcome = result.take(within: 30) else {
        throw TestFailure("the green threads had not finished after 30 s: does greenWriteAll return once every byte is written, and give up after its timeout?")
    }
    return try outcome.get()
}

/// How many times the calling kernel thread has gone to sleep in the kernel (blocked in a system
/// call such as epoll_wait), from /proc/thread-self/status; -1 if it cannot be read.
private func voluntarySwitches() -> Int {
    guard let status = readTextFile(atPath: "/proc/thread-self/status") else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("voluntary_ctxt_switches:") {
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).last.flatMap { Int($0) } ?? -1
    }
    return -1
}

private struct Delivery: Sendable {
    let received: [UInt8]
    let writerError: String?
    let readerSleeps: Int
    let kernelSleeps: Int
    let writerFinishedBeforeReader: Bool
}

private func deliversEveryByteWithoutSpinning() throws {
    let message = (0..<262_144).map { UInt8(truncatingIfNeeded: $0 % 251) }
    let (writer, reader) = try greenPair()
    defer { close(writer); close(reader) }
    let delivery = try runGreen { () -> Delivery in
        let switchesAtStart = voluntarySwitches()
        var writerError: String?
        var writerDone = false
        var received: [UInt8] = []
        var sleeps = 0
        let writing = try Scheduler.spawn {
            do { try greenWriteAll(writer, message, timeout: .seconds(20)) } catch { writerError = "\(error)" }
            writerDone = true
        }
        let reading = try Scheduler.spawn {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while received.count < message.count {
                // A slow reader: the send buffer fills and the writer must wait for room.
                try? Scheduler.sleep(for: .milliseconds(20))
                sleeps += 1
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
                    if count <= 0 { break }
                    received += buffer[..<count]
                }
                if writerError != nil || (writerDone && received.count < message.count && sleeps > 250) { break }
            }
        }
        writing.join()
        reading.join()
        return Delivery(received: received, writerError: writerError, readerSleeps: sleeps,
                        kernelSleeps: voluntarySwitches() - switchesAtStart, writerFinishedBeforeReader: writerDone)
    }
    #expect(delivery.writerError == nil, "greenWriteAll threw: \(delivery.writerError ?? "")")
    #expect(delivery.received.count == message.count, "\(delivery.received.count) of \(message.count) bytes arrived")
    let intact = delivery.received == message  // a Bool: Swift Testing would print both arrays in full
    #expect(intact, "every byte once, in order")
    #expect(delivery.readerSleeps >= 10, "the send buffer should have made the writer wait for the reader many times")
    // With the writer parked and the reader asleep, no green thread can run, so the kernel thread
    // goes to sleep in epoll_wait: at least once per sleep of the reader. A writer that spins (or
    // yields in a loop) keeps a green thread runnable, and the kernel thread never sleeps.
    // Counted by the kernel, this does not depend on how busy the machine is.
    #expect(delivery.kernelSleeps >= delivery.readerSleeps / 2, """
        the kernel thread went to sleep \(delivery.kernelSleeps) times while the reader slept \(delivery.readerSleeps) times: \
        on EAGAIN, park with Scheduler.waitUntilWritable instead of trying again at once
        """)
}

private func givesUpAfterItsTimeout() throws {
    let (writer, reader) = try greenPair()
    defer { close(writer); close(reader) }
    let outcome = try runGreen { () -> String in
        do {
            // Nobody reads: a megabyte cannot fit, so the write waits for room that never comes.
            try greenWriteAll(writer, [UInt8](repeating: 7, count: 1_048_576), timeout: .milliseconds(100))
            return "returned"
        } catch GreenThreadError.timedOut {
            return "timed out"
        } catch {
            return "threw \(error)"
        }
    }
    #expect(outcome == "timed out", "with nobody reading, the write must give up after its timeout with GreenThreadError.timedOut; it \(outcome)")
}

private func throwsWhenThePeerHasGone() throws {
    let (writer, reader) = try greenPair()
    defer { close(writer) }
    close(reader)
    let outcome = try runGreen { () -> String in
        do {
            try greenWriteAll(writer, Array("hello".utf8), timeout: .seconds(5))
            return "returned"
        } catch let error as SystemCallError {
            return error.code == EPIPE || error.code == ECONNRESET ? "EPIPE" : "threw \(error)"
        } catch {
            return "threw \(error)"
        }
    }
    #expect(outcome == "EPIPE", "writing to a closed peer must throw SystemCallError (EPIPE); it \(outcome)")
}
