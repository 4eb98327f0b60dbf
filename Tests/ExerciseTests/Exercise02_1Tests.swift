// Exercise 02-1's test: `startJoinable` runs each closure on a thread of its own, returns at
// once, and `join` waits for the thread and hands back exactly what the closure returned; every
// box is freed once, neither leaked nor freed early.

@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("02-1"))
func exercise02_1_ThreadResult() {
    check("brings back each thread's own result", bringsBackEachThreadsOwnResult)
    check("join waits for the closure to finish", joinWaitsForTheClosureToFinish)
    check("frees the work and the result once each", freesTheWorkAndTheResultOnceEach)
}

/// What one closure saw of the thread it ran on, and a result big enough to be boxed for real.
private struct Report: Sendable, Equatable {
    let index: Int
    let text: String
    let onCallersThread: Bool
    let startHadReturned: Bool
}

private func bringsBackEachThreadsOwnResult() throws {
    let count = 40
    let caller = pthread_self()
    let allStarted = Handoff<Bool>()
    let deadline = MonotonicClock.now() + 3
    var threads: [Joinable<Report>] = []
    for index in 0..<count {
        threads.append(try startJoinable {
            // Every closure waits until the test has started them all: if startJoinable ran the
            // closure itself, or waited for it, the first one would wait until the deadline.
            let startHadReturned = allStarted.take(within: max(0, deadline - MonotonicClock.now())) ?? false
            return Report(index: index, text: String(repeating: "thread \(index) ", count: index + 1),
                          onCallersThread: pthread_equal(pthread_self(), caller) != 0,
                          startHadReturned: startHadReturned)
        })
    }
    allStarted.put(true)
    let reports = threads.map { $0.join() }
    #expect(reports.map(\.index) == Array(0..<count), "join must return its own thread's result, in the order joined")
    #expect(reports.allSatisfy { $0.text == String(repeating: "thread \($0.index) ", count: $0.index + 1) },
            "the results arrive whole")
    #expect(!reports.contains { $0.onCallersThread }, "a closure ran on the calling thread, not a new one")
    #expect(reports.allSatisfy { $0.startHadReturned }, "startJoinable must return at once, not wait for the closure")
}

private func joinWaitsForTheClosureToFinish() throws {
    let finished = EventCounter()
    let thread = try startJoinable { () -> Int in
        pause(seconds: 0.2)
        finished.record()
        return 42
    }
    #expect(thread.join() == 42)
    #expect(finished.current == 1, "join returned before the closure had finished")
}

/// Tells a counter when it is freed.
private final class Token: Sendable {
    let freed: EventCounter
    init(freed: EventCounter) { self.freed = freed }
    deinit { freed.record() }
}

private func freesTheWorkAndTheResultOnceEach() throws {
    let count = 20
    let closuresFreed = EventCounter()
    let resultsFreed = EventCounter()
    for round in 0..<count {
        let captured = Token(freed: closuresFreed)
        let thread = try startJoinable { () -> Token in
            _ = captured  // the closure holds its token until the closure itself is freed
            return Token(freed: resultsFreed)
        }
        let result = thread.join()
        // The results of the earlier rounds are gone; this one is still held here.
        #expect(resultsFreed.current == round, "a result was freed while still in use (released once too often)")
        withExtendedLifetime(result) {}
    }
    #expect(closuresFreed.wait(for: count, within: 10),
            "only \(closuresFreed.current) of \(count) closures were freed: does the start routine take its box back with takeRetainedValue()?")
    #expect(resultsFreed.wait(for: count, within: 10),
            "only \(resultsFreed.current) of \(count) results were freed after join: does join take the result box back with takeRetainedValue()?")
    pause(seconds: 0.05)
    #expect(closuresFreed.current == count && resultsFreed.current == count, "a box was released twice")
}
