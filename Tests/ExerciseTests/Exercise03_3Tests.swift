// Exercise 03-3's test: `GrowingPool` starts with its minimum, adds a worker only when a job is
// waiting and no worker is free, never goes past its maximum, runs every job, and refuses jobs
// once shut down. Jobs block on a gate the test opens, so "busy" is under the test's control.

@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("03-3"))
func exercise03_3_GrowingPool() {
    check("one job on an idle worker does not grow the pool", oneJobDoesNotGrowThePool)
    check("grows one worker per waiting job, up to the maximum", growsUpToTheMaximum)
    check("jobs submitted back to back each find a worker", jobsSubmittedBackToBackEachFindAWorker)
    check("refuses jobs once shut down", refusesJobsAfterShutDown)
}

/// Jobs that wait until the test lets them finish, counting how many have started.
private final class Gate: Sendable {
    let open = Handoff<Bool>()
    let started = EventCounter()
    let finished = EventCounter()

    var job: @Sendable () -> Void {
        { [self] in
            started.record()
            _ = open.take(within: 30)
            finished.record()
        }
    }
}

private func oneJobDoesNotGrowThePool() throws {
    let pool = try GrowingPool(minimum: 1, maximum: 4)
    let gate = Gate()
    try #require(pool.submit(gate.job), "an open pool takes the job")
    #expect(gate.started.wait(for: 1, within: 10), "the job never started")
    #expect(pool.threadCount == 1, "one job, one idle worker: no need to grow, but the pool has \(pool.threadCount) threads")
    gate.open.put(true)
    #expect(gate.finished.wait(for: 1, within: 10))
    pool.shutDown()
}

private func growsUpToTheMaximum() throws {
    let pool = try GrowingPool(minimum: 1, maximum: 3)
    #expect(pool.threadCount == 1, "starts with its minimum")
    let gate = Gate()
    for submitted in 1...5 {
        try #require(pool.submit(gate.job), "job \(submitted) refused by an open pool")
        if submitted <= 3 {
            // Each job up to the maximum must find a worker of its own.
            #expect(gate.started.wait(for: submitted, within: 10),
                    "\(submitted) jobs submitted, \(gate.started.current) running: the pool should have grown to \(submitted) workers")
        }
        #expect(pool.threadCount == min(submitted, 3), "after \(submitted) blocking jobs: \(pool.threadCount) threads, expected \(min(submitted, 3))")
    }
    pause(seconds: 0.2)
    #expect(gate.started.current == 3, "\(gate.started.current) jobs running at once with a maximum of 3 workers")
    gate.open.put(true)
    #expect(gate.finished.wait(for: 5, within: 20), "only \(gate.finished.current) of 5 jobs finished: queued jobs must run once a worker is free")
    pool.shutDown()
    #expect(pool.threadCount == 3)
}

private func jobsSubmittedBackToBackEachFindAWorker() throws {
    let pool = try GrowingPool(minimum: 1, maximum: 4)
    let gate = Gate()
    // No pause between them: the one idle worker has most likely not woken up for the first job
    // when the next ones arrive, so it must not be counted on for all of them.
    for _ in 1...3 { try #require(pool.submit(gate.job), "an open pool takes every job") }
    #expect(gate.started.wait(for: 3, within: 10),
            "3 jobs, room for 4 workers, yet only \(gate.started.current) running: did two jobs count on the same idle worker?")
    #expect(pool.threadCount == 3, "3 blocking jobs need 3 workers; the pool has \(pool.threadCount)")
    gate.open.put(true)
    #expect(gate.finished.wait(for: 3, within: 10))
    pool.shutDown()
}

private func refusesJobsAfterShutDown() throws {
    let pool = try GrowingPool(minimum: 2, maximum: 2)
    pool.shutDown()
    let nothing: @Sendable () -> Void = {}
    #expect(!pool.submit(nothing), "a pool that has been shut down must refuse jobs")
}
