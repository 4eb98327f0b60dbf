// GreenMutex: mutual exclusion between green threads, for critical sections that wait.
//
// Green threads switch only inside calls into the runtime, so code that makes none is already
// exclusive: most shared state needs no lock at all. A lock is needed when a critical section
// itself calls the runtime — writes to a socket (which may wait, or yield for fairness even when
// it does not), sleeps — and another thread must not see the half-done update meanwhile.
// Waiters queue in arrival order and `unlock` hands the mutex straight to the first of them, so
// nobody can barge in ahead of a thread that has waited.
//
// The state lives in manually allocated memory: a stable address the scheduler can keep in its
// queues, and no Swift exclusivity tracking on the class's properties while threads switch.

public final class GreenMutex {
    struct State {
        var owner: ThreadPointer?
        var waiters = ThreadQueue()
    }

    let state: UnsafeMutablePointer<State>

    public init() {
        state = .allocate(capacity: 1)
        state.initialize(to: State())
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    // snippet: mutex
    /// Takes the mutex, waiting (in FIFO order) while another green thread holds it.
    public func lock() {
        let core = Scheduler.requireCore("GreenMutex.lock")
        let me = Scheduler.requireThread("GreenMutex.lock", core)
        guard let owner = state.pointee.owner else {
            state.pointee.owner = me
            return
        }
        if owner == me { Diagnostics.fatal("green thread #\(me.pointee.id) locked a GreenMutex it already holds") }
        state.pointee.waiters.append(me)
        _ = Scheduler.block(me, on: .mutex, core)  // unlock() made us the owner before waking us
    }

    /// Releases the mutex, handing it to the longest-waiting thread, if any. Never switches.
    public func unlock() {
        let core = Scheduler.requireCore("GreenMutex.unlock")
        let me = Scheduler.requireThread("GreenMutex.unlock", core)
        guard state.pointee.owner == me else {
            Diagnostics.fatal("green thread #\(me.pointee.id) unlocked a GreenMutex it does not hold")
        }
        if let next = state.pointee.waiters.popFirst() {
            state.pointee.owner = next
            Scheduler.wake(next, .ready, core)
        } else {
            state.pointee.owner = nil
        }
    }
    // end snippet

    /// Runs `body` with the mutex held.
    public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock()
        defer { unlock() }
        return try body()
    }
}
