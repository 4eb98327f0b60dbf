// SynchronizationTests: GreenMutex, GreenCondition, join and interrupt between green threads.

import Glibc
import ServerCore
import StateThreads
import Testing

@Suite("StateThreads: mutex, condition, interrupt")
struct SynchronizationTests {
    @Test("a GreenMutex keeps a critical section exclusive even when it yields inside")
    func mutexExclusion() throws {
        var counter = 0
        var inside = 0
        var mostInside = 0
        var order: [Int] = []
        try Scheduler.run {
            let mutex = GreenMutex()
            var threads: [GreenThread] = []
            for worker in 0..<5 {
                threads.append(try Scheduler.spawn {
                    for _ in 0..<20 {
                        mutex.withLock {
                            inside += 1
                            mostInside = max(mostInside, inside)
                            let seen = counter
                            Scheduler.yield()  // everybody else runs now, and must wait at lock()
                            counter = seen + 1  // a lost update if anyone got in meanwhile
                            order.append(worker)
                            inside -= 1
                        }
                    }
                })
            }
            threads.forEach { $0.join() }
        }
        #expect(counter == 100)
        #expect(mostInside == 1)
        // unlock hands the mutex to the longest waiter: the workers take strict turns.
        #expect(order == (0..<20).flatMap { _ in Array(0..<5) })
    }

    @Test("signal wakes the longest waiter, broadcast wakes the rest in order")
    func conditionSignalAndBroadcast() throws {
        var woke: [Int] = []
        try Scheduler.run {
            let mutex = GreenMutex()
            let condition = GreenCondition()
            var threads: [GreenThread] = []
            for waiter in 0..<4 {
                threads.append(try Scheduler.spawn {
                    mutex.withLock {
                        try? condition.wait(mutex)
                        woke.append(waiter)
                    }
                })
            }
            Scheduler.yield()  // all four are waiting now
            #expect(woke.isEmpty)
            mutex.withLock { condition.signal() }
            Scheduler.yield()
            #expect(woke == [0], "one signal, one waiter: the first to wait")
            mutex.withLock { condition.broadcast() }
            threads.forEach { $0.join() }
            #expect(woke == [0, 1, 2, 3])
            mutex.withLock { condition.signal() }  // nobody waits: a no-op, not a stored signal
        }
    }

    @Test("GreenCondition.wait with a timeout throws timedOut, no earlier than the timeout, with the mutex held")
    func conditionTimeout() throws {
        try Scheduler.run {
            let mutex = GreenMutex()
            let condition = GreenCondition()
            let start = MonotonicClock.now()
            mutex.lock()
            #expect(throws: GreenThreadError.timedOut) { try condition.wait(mutex, timeout: .milliseconds(30)) }
            #expect(MonotonicClock.now() - start >= 0.030)
            mutex.unlock()  // would stop the process if wait had returned without the mutex
        }
    }

    @Test("interrupt wakes a sleeping thread with an error at once")
    func interruptSleep() throws {
        var outcome: String?
        var elapsed = 0.0
        try Scheduler.run {
            let start = MonotonicClock.now()
            let sleeper = try Scheduler.spawn {
                do {
                    try Scheduler.sleep(for: .seconds(60))
                    outcome = "slept"
                } catch {
                    outcome = "\(error)"
                }
                elapsed = MonotonicClock.now() - start
            }
            Scheduler.yield()  // the sleeper is asleep
            sleeper.interrupt()
            sleeper.join()
        }
        #expect(outcome == "interrupted")
        #expect(elapsed < 30, "woken by the interrupt, not by its 60 s timer")
    }

    @Test("interrupting a running thread makes its next blocking call throw")
    func interruptPending() throws {
        var results: [String] = []
        try Scheduler.run {
            var victim: GreenThread?
            victim = try Scheduler.spawn {
                victim?.interrupt()  // interrupts itself while running: nothing to wake yet
                results.append("still running")
                do { try Scheduler.sleep(for: .seconds(60)) } catch { results.append("\(error)") }
                do { try Scheduler.sleep(for: .milliseconds(1)) } catch { results.append("again: \(error)") }
                results.append("slept")
            }
            victim?.join()
        }
        #expect(results == ["still running", "interrupted", "slept"], "one interrupt, one failed call")
    }

    @Test("join waits for the thread to finish; several threads can join one")
    func joinWaits() throws {
        var log: [String] = []
        try Scheduler.run {
            let worker = try Scheduler.spawn {
                try? Scheduler.sleep(for: .milliseconds(20))
                log.append("worker done")
            }
            let watchers = try (0..<2).map { index in
                try Scheduler.spawn {
                    worker.join()
                    log.append("watcher \(index)")
                }
            }
            worker.join()
            log.append("main")
            watchers.forEach { $0.join() }
        }
        // main joined first (spawning does not switch), so it is woken first.
        #expect(log == ["worker done", "main", "watcher 0", "watcher 1"])
    }
}
