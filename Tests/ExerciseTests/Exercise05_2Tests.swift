// Exercise 05-2's test: GreenSemaphore admits at most its permits, in order, and a timed wait
// gives up (after, never before, its timeout) when no permit comes.

@testable import Exercises
import Glibc
import StateThreads
import Testing

@Test(.exercise("05-2"))
func exercise05_2_GreenSemaphore() {
    check("admits at most 3 of 10 threads at once", admitsAtMostItsPermits)
    check("a timed wait gives up when no permit comes", timedWaitGivesUp)
    check("a timed wait succeeds when a permit comes in time", timedWaitSucceeds)
}

private func admitsAtMostItsPermits() throws {
    var inside = 0
    var mostInside = 0
    var finished = 0
    try Scheduler.run {
        let semaphore = GreenSemaphore(permits: 3)
        let threads = try (0..<10).map { _ in
            try Scheduler.spawn {
                _ = semaphore.wait()
                inside += 1
                mostInside = max(mostInside, inside)
                try? Scheduler.sleep(for: .milliseconds(5))  // hold the permit across a switch
                inside -= 1
                semaphore.signal()
                finished += 1
            }
        }
        threads.forEach { $0.join() }
    }
    #expect(finished == 10, "every thread got a permit in the end")
    #expect(mostInside == 3, "at most 3 at once, and the 3 permits were used")
}

private func timedWaitGivesUp() throws {
    var result: Bool?
    var elapsed = 0.0
    try Scheduler.run {
        let semaphore = GreenSemaphore(permits: 0)
        let start = seconds()
        result = semaphore.wait(timeout: .milliseconds(50))
        elapsed = seconds() - start
    }
    #expect(result == false, "no permit was ever given")
    #expect(elapsed >= 0.045, "gave up after \(elapsed) s, before the 50 ms timeout")
}

private func timedWaitSucceeds() throws {
    var results: [Bool] = []
    try Scheduler.run {
        let semaphore = GreenSemaphore(permits: 0)
        let giver = try Scheduler.spawn {
            try? Scheduler.sleep(for: .milliseconds(20))
            semaphore.signal()
        }
        results.append(semaphore.wait(timeout: .seconds(10)))
        results.append(semaphore.wait(timeout: .milliseconds(10)))  // that permit is taken now
        giver.join()
    }
    #expect(results == [true, false])
}

private func seconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
