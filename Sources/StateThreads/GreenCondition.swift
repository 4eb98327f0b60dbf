// GreenCondition: lets green threads wait, under a GreenMutex, until another thread says that
// something changed.
//
// The classic condition variable: `wait` releases the mutex and sleeps in one step (no switch can
// come between the two, so no signal is lost), and takes the mutex back before returning.
// `signal` wakes the longest waiter, `broadcast` all of them, in FIFO order. As with pthreads,
// check the predicate in a loop: another thread may run between the signal and the wake-up.

public final class GreenCondition {
    let waiters: UnsafeMutablePointer<ThreadQueue>

    public init() {
        waiters = .allocate(capacity: 1)
        waiters.initialize(to: ThreadQueue())
    }

    deinit {
        waiters.deinitialize(count: 1)
        waiters.deallocate()
    }

    // snippet: condition
    /// Releases `mutex`, waits to be signalled, and takes `mutex` again. With a `timeout`, throws
    /// `GreenThreadError.timedOut` if no signal came in time; throws `.interrupted` if the thread
    /// is interrupted. The mutex is held again whenever this returns or throws.
    public func wait(_ mutex: GreenMutex, timeout: Duration? = nil) throws {
        let core = Scheduler.requireCore("GreenCondition.wait")
        let me = Scheduler.requireThread("GreenCondition.wait", core)
        try Scheduler.takePendingInterrupt(me)
        if let deadline = Scheduler.deadline(after: timeout) {
            me.pointee.deadline = deadline
            core.pointee.timers.insert(me)
        }
        waiters.pointee.append(me)
        mutex.unlock()  // never switches, so nobody can signal between this and the wait
        let reason = Scheduler.block(me, on: .condition(waiters), core)
        mutex.lock()
        switch reason {
        case .ready: return
        case .timedOut: throw GreenThreadError.timedOut
        case .interrupted: throw GreenThreadError.interrupted
        }
    }

    /// Wakes the thread that has waited longest, if any.
    public func signal() {
        let core = Scheduler.requireCore("GreenCondition.signal")
        guard let thread = waiters.pointee.popFirst() else { return }
        thread.pointee.blockedOn = .notBlocked  // already out of our queue
        Scheduler.wake(thread, .ready, core)
    }

    /// Wakes every waiting thread, in the order they started waiting.
    public func broadcast() {
        let core = Scheduler.requireCore("GreenCondition.broadcast")
        while let thread = waiters.pointee.popFirst() {
            thread.pointee.blockedOn = .notBlocked
            Scheduler.wake(thread, .ready, core)
        }
    }
    // end snippet
}
