// Exercise 05-2, reference solution: a counting semaphore for green threads, with a timeout.
//
// The classic shape: a count under a mutex, and a condition to wait on while it is zero. The
// timeout is a deadline computed once, so that a thread woken without getting a permit (another
// took it first) waits only for what is left, never for the whole timeout again.

import Glibc
import StateThreads

/// At most `permits` green threads hold a permit at any time.
final class GreenSemaphore {
    private let mutex = GreenMutex()
    private let available = GreenCondition()
    private var permits: Int

    init(permits: Int) {
        self.permits = permits
    }

    /// Takes a permit, waiting while there is none, for at most `timeout` (nil: no limit).
    /// Returns false if the time ran out first.
    func wait(timeout: Duration? = nil) -> Bool {
        let deadline = timeout.map { nanosecondsNow() + nanoseconds($0) }
        return mutex.withLock {
            while permits == 0 {
                var left: Duration?
                if let deadline {
                    let now = nanosecondsNow()
                    if now >= deadline { return false }
                    left = .nanoseconds(Int64(deadline - now))
                }
                do {
                    try available.wait(mutex, timeout: left)
                } catch {
                    return permits > 0 ? takePermit() : false  // timed out (or interrupted)
                }
            }
            return takePermit()
        }
    }

    /// Gives a permit back and wakes one waiter, if any.
    func signal() {
        mutex.withLock {
            permits += 1
            available.signal()
        }
    }

    private func takePermit() -> Bool {
        permits -= 1
        return true
    }
}

private func nanosecondsNow() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

private func nanoseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return UInt64(max(seconds, 0)) * 1_000_000_000 + UInt64(max(attoseconds, 0) / 1_000_000_000)
}
