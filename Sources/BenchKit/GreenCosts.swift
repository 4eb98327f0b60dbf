// GreenCosts: what Chapter 5's green threads cost — to switch, to hand a token between, to
// spawn and join, to keep idle — measured by the same loop as PthreadCosts, so `Bench spawn`,
// `Bench handoff` and `Bench threads-memory` print both kinds in one table.
//
// Every measurement starts its own scheduler (`Scheduler.run`) on the calling kernel thread and
// times only what happens inside it: the scheduler's set-up (a few mmaps) is not a green
// thread's cost. Green operations take tens of nanoseconds, so each run does many of them.

import Glibc
import Harness
import ServerCore
import StateThreads

enum GreenCosts {
    /// Nanoseconds per switch: two green threads calling `yield()` in turn, `switches` times in all.
    static func yieldSwitch(switches: Int) throws -> Double {
        var elapsed: UInt64 = 0
        try Scheduler.run {
            let started = MonotonicClock.nanosecondsNow()
            let players = try (0..<2).map { _ in
                try Scheduler.spawn { for _ in 0..<switches / 2 { Scheduler.yield() } }
            }
            players.forEach { $0.join() }
            elapsed = MonotonicClock.nanosecondsNow() - started
        }
        return Double(elapsed) / Double(switches / 2 * 2)
    }

    /// Nanoseconds per handoff of a token between two green threads through a `GreenMutex` and a
    /// `GreenCondition` — the same dance as `TokenHandoff` does with pthreads — over `rounds` round
    /// trips (two handoffs each).
    static func handoff(rounds: Int) throws -> Double {
        var elapsed: UInt64 = 0
        try Scheduler.run {
            let mutex = GreenMutex()
            let changed = GreenCondition()
            var turn = 0
            let started = MonotonicClock.nanosecondsNow()
            let players = try (0..<2).map { player in
                try Scheduler.spawn {
                    mutex.lock()
                    for _ in 0..<rounds {
                        while turn != player { try? changed.wait(mutex) }
                        turn = 1 - player
                        changed.signal()
                    }
                    mutex.unlock()
                }
            }
            players.forEach { $0.join() }
            elapsed = MonotonicClock.nanosecondsNow() - started
        }
        return Double(elapsed) / Double(2 * rounds)
    }

    /// Nanoseconds to spawn a green thread that does nothing and join it, over `iterations`.
    static func spawnAndJoin(iterations: Int) throws -> Double {
        var elapsed: UInt64 = 0
        try Scheduler.run {
            let started = MonotonicClock.nanosecondsNow()
            for _ in 0..<iterations { try Scheduler.spawn {}.join() }
            elapsed = MonotonicClock.nanosecondsNow() - started
        }
        return Double(elapsed) / Double(iterations)
    }

    /// Bytes of resident memory each of `count` idle green threads adds: each sleeps in a loop
    /// and captures nothing, like the C library's own example, so what it costs is its stack's
    /// touched page and a slot in the timer heap. Stacks are the default size (64 KiB).
    static func idleThreadMemory(count: Int) throws -> Double {
        var perThread = 0.0
        sleepersMayLeave = false
        try Scheduler.run {
            // However this ends (a spawn can fail when stacks run out), the sleepers must leave,
            // or `run` would wait for them for ever.
            defer { sleepersMayLeave = true }  // they wake within 200 ms, leave, and `run` returns
            // Warm up the allocator and the stack pool's bookkeeping, so the baseline holds them.
            for _ in 0..<100 { try Scheduler.spawn {}.join() }
            let before = try ProcSampler.current.exactResidentBytes()
            for _ in 0..<count {
                _ = try Scheduler.spawn {
                    while !GreenCosts.sleepersMayLeave { try? Scheduler.sleep(for: .milliseconds(200)) }
                }
            }
            Scheduler.yield()  // every new thread runs once, up to its first sleep
            let after = try ProcSampler.current.exactResidentBytes()
            perThread = Double(after - before) / Double(count)
        }
        return perThread
    }

    /// Tells the idle sleepers to finish. A static rather than a captured variable, so a sleeper's
    /// closure captures nothing and allocates no context: the measurement is the thread alone.
    /// `nonisolated(unsafe)`: only the kernel thread running `idleThreadMemory` touches it, before
    /// `Scheduler.run` and from the green threads that run on it; Bench never calls that twice at once.
    nonisolated(unsafe) static var sleepersMayLeave = false
}
