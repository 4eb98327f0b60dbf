// Exercise 05-2: a counting semaphore for green threads, with a timeout.
//
// A server that lets at most N clients into some expensive step (a database, a disk) needs a
// semaphore: `wait` takes one of N permits, sleeping while there are none; `signal` gives one
// back. Build it from the runtime's `GreenMutex` and `GreenCondition`, which park the green thread,
// never the kernel thread. `wait(timeout:)` gives up after the timeout and returns false; a wait
// that got a permit returns true. Remember the rule of condition variables: check the predicate
// in a loop, because another thread may take the permit between the signal and the wake-up.
//
// Useful: GreenCondition.wait(_:timeout:) throws GreenThreadError.timedOut when the time is up, and
// holds the mutex again whenever it returns or throws.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise05_2`). Stuck? `swift run Progress hint 05-2`.

// I AM NOT DONE

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
        // TODO
        true
    }

    /// Gives a permit back and wakes one waiter, if any.
    func signal() {
        // TODO
    }
}
