// SchedulerTests: the promises of the green-thread scheduler, checked inside Scheduler.run.
//
// Order is the heart of it: a FIFO run queue and switches only inside runtime calls make the
// interleaving of green threads deterministic, so these tests assert exact sequences, not
// "eventually". Times are asserted only as lower bounds (a sleeper never wakes early); a slow
// machine can make the tests slower, never make them fail.

import Glibc
import ServerCore
import StateThreads
import Testing

@Suite("StateThreads: scheduling")
struct SchedulerTests {
    @Test("two threads that yield take strict turns (ping-pong)")
    func pingPong() throws {
        var log: [String] = []
        try Scheduler.run {
            let ping = try Scheduler.spawn {
                for round in 0..<5 {
                    log.append("ping \(round)")
                    Scheduler.yield()
                }
            }
            let pong = try Scheduler.spawn {
                for round in 0..<5 {
                    log.append("pong \(round)")
                    Scheduler.yield()
                }
            }
            ping.join()
            pong.join()
        }
        let expected = (0..<5).flatMap { ["ping \($0)", "pong \($0)"] }
        #expect(log == expected)
    }

    @Test("threads run in the order they were spawned, each when the spawner waits")
    func fifoRunQueue() throws {
        var log: [Int] = []
        try Scheduler.run {
            var threads: [GreenThread] = []
            for index in 0..<10 {
                threads.append(try Scheduler.spawn { log.append(index) })
            }
            #expect(log.isEmpty, "spawn does not switch: nothing ran before the spawner waited")
            threads.forEach { $0.join() }
        }
        #expect(log == Array(0..<10))
    }

    @Test("100,000 green threads spawned, all alive at once, then joined")
    func hundredThousandThreads() throws {
        let count = 100_000
        var finished = 0
        var started = 0
        // Guard pages for the first 10,000 only: this process runs other tests' threads too, and
        // must not spend all of its kernel mappings here. The rest use the canary check.
        try Scheduler.run(guardedStackLimit: 10_000) {
            var threads: [GreenThread] = []
            threads.reserveCapacity(count)
            for _ in 0..<count {
                threads.append(try Scheduler.spawn {
                    started += 1
                    Scheduler.yield()  // every thread is alive at this point
                    finished += 1
                })
            }
            threads.forEach { $0.join() }
            let allFinished = threads.allSatisfy { $0.isFinished }
            #expect(allFinished)
            #expect(Set(threads.map(\.id)).count == count, "every thread has its own id")
            let protection = Scheduler.stackProtection
            #expect(protection.guarded == 10_000 && protection.guarded + protection.canary >= count)
        }
        #expect(started == count)
        #expect(finished == count)
    }

    @Test("a finished thread's stack is reused, and its old handle stays finished")
    func stacksAreRecycled() throws {
        try Scheduler.run {
            let first = try Scheduler.spawn {}
            first.join()
            let second = try Scheduler.spawn { Scheduler.yield() }
            #expect(first.isFinished, "the recycled record belongs to the second thread now")
            #expect(!second.isFinished)
            first.join()  // returns at once instead of waiting for the second thread
            #expect(!second.isFinished)
            second.join()
            #expect(Scheduler.stackProtection.guarded + Scheduler.stackProtection.canary == 2,
                    "two stacks: the main thread's, and one shared by the two others")
        }
    }

    @Test("sleepers wake in deadline order, and never before their deadline")
    func sleepersWakeInDeadlineOrder() throws {
        let delays = [60, 20, 100, 40, 80, 20]  // milliseconds, spawned in this order
        var deadlines: [Int: Double] = [:]  // by sleeper: when it asked to be woken
        var woke: [(sleeper: Int, at: Double)] = []
        try Scheduler.run {
            for (sleeper, delay) in delays.enumerated() {
                try Scheduler.spawn {
                    deadlines[sleeper] = MonotonicClock.now() + Double(delay) / 1000
                    try? Scheduler.sleep(for: .milliseconds(delay))
                    woke.append((sleeper, MonotonicClock.now()))
                }
            }
        }
        // Deadlines are taken from each sleeper's own clock reading, so a machine that pauses this
        // process between two sleepers cannot make the expected order wrong.
        let byDeadline = deadlines.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key)
        #expect(woke.map(\.sleeper) == byDeadline, "woken in deadline order")
        for (sleeper, at) in woke {
            let deadline = try #require(deadlines[sleeper])
            #expect(at >= deadline, "sleeper \(sleeper) woke \(deadline - at) s before its deadline")
        }
    }

    @Test("run returns what the main green thread throws, after the others finish")
    func runRethrows() throws {
        struct Failure: Error, Equatable {}
        var otherFinished = false
        #expect(throws: Failure.self) {
            try Scheduler.run {
                try Scheduler.spawn {
                    try? Scheduler.sleep(for: .milliseconds(10))
                    otherFinished = true
                }
                throw Failure()
            }
        }
        #expect(otherFinished)
    }

    @Test("several kernel threads can each run their own scheduler at once")
    func schedulersOnSeveralKernelThreads() throws {
        final class Result: @unchecked Sendable {  // each instance is written by one thread, read after join
            var log: [Int] = []
        }
        let results = (0..<3).map { _ in Result() }
        let threads = try results.map { result in
            try JoinableThread {
                try? Scheduler.run {
                    for round in 0..<1000 {
                        result.log.append(round)
                        Scheduler.yield()
                    }
                }
            }
        }
        threads.forEach { $0.join() }
        for result in results { #expect(result.log == Array(0..<1000)) }
    }
}
