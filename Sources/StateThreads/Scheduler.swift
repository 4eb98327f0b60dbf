// Scheduler: many green threads on one kernel thread, switching only where they would wait.
//
// The design of the C State Threads library, in Swift. `Scheduler.run` turns the calling kernel
// thread into a scheduler: its own stack becomes the *idle loop*, and every green thread gets a
// small mmap'd stack of its own (StackPool). A green thread runs until it would wait — for a
// descriptor, a timer, a mutex, a condition, another thread — and at that point, and only
// there, it switches directly to the next thread in the FIFO run queue. When the run queue is
// empty it switches to the idle loop instead, which sleeps in `epoll_wait` until a descriptor is
// ready or the earliest timer is due, makes those threads runnable, and dispatches again.
//
// For fairness there is one more switch point: a socket call that did not have to wait yields
// anyway once a thread has made `ioWithoutWaitingLimit` of them in a row (noteIOWithoutWaiting),
// so a client that always has data cannot keep the others waiting. Switches therefore happen only
// inside calls into this module — but inside *any* socket call, not only one that waits. Code
// between two such calls runs without interruption: green threads share data without locks, as
// long as they call nothing of ours in the middle of an update (and when they must, there is
// `GreenMutex`). What must survive a call — the buffer a `read` fills — belongs to one thread, never
// to all of them (Part 5 once shared one read buffer between clients, and a fairness yield
// after a read let another client's bytes overwrite it). The price is the one State Threads names:
// a call that blocks the kernel thread (a plain `read` on a blocking socket, `usleep`) stalls
// every green thread, so all waiting goes through this module (GreenSocket, `sleep(for:)`).
//
// The scheduler's state lives in manually allocated memory found through a thread-local key, so
// several kernel threads (the tests run in parallel) can each run their own scheduler.

import CContextSwitch
import Glibc
import ServerCore

/// Everything one scheduler owns.
struct SchedulerCore {
    /// The running green thread; nil while the idle loop runs.
    var current: ThreadPointer?
    var runQueue = ThreadQueue()
    var timers = TimerHeap()
    var poller: Poller
    var stacks: StackPool
    /// Spawned and not yet finished.
    var liveThreads = 0
    /// A thread that has finished on its own stack; whoever runs next recycles that stack.
    var finishedThread: ThreadPointer?
    /// Direct switches left before the idle loop must look for I/O (see `switchesBetweenPolls`).
    var switchBudget = 0
    var lastID = 0
    /// Whether to save and restore Swift's exclusivity records on every switch (see
    /// SwiftExclusivity.h). Only Chapter 5's experiment turns it off.
    let swapsExclusivity: Bool
    /// Where the idle loop's stack pointer is kept while a green thread runs.
    let idleStackPointer: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    /// What a sanitizer build tells the sanitizers about the idle loop's stack (SanitizerFibers).
    var idleFiber = FiberState()
}

typealias CorePointer = UnsafeMutablePointer<SchedulerCore>

/// Green threads on the calling kernel thread. Everything here must be called from inside
/// `Scheduler.run`; the blocking calls, from a green thread.
public enum Scheduler {
    /// The stack size green threads get unless `run` is told otherwise: 64 KiB. Swift code needs
    /// more stack than C; Chapter 5 measures the deepest paths this repository runs.
    public static let defaultStackSize = 64 * 1024
    /// The smallest stack `run` accepts.
    public static let minimumStackSize = 16 * 1024

    /// How many direct thread-to-thread switches may happen before the idle loop gets a turn
    /// to look for I/O and due timers, so threads that only ever yield cannot starve the rest.
    static let switchesBetweenPolls = 128
    /// Reads or writes a thread may do in a row without waiting before it yields, so one busy
    /// client cannot keep the others waiting.
    static let ioWithoutWaitingLimit = 16

    // MARK: Running

    // snippet: run
    /// Runs `main` as the first green thread and returns when every green thread has finished,
    /// rethrowing what `main` threw.
    ///
    /// - Parameters:
    ///   - stackSize: bytes of stack per green thread (rounded up to whole pages).
    ///   - guardedStackLimit: how many stacks get a guard page; by default as many as the
    ///     kernel's `vm.max_map_count` allows. Stacks beyond it are checked with a canary.
    public static func run(
        stackSize: Int = defaultStackSize, guardedStackLimit: Int? = nil, _ main: @escaping () throws -> Void
    ) throws {
        guard currentCore == nil else { Diagnostics.fatal("Scheduler.run called inside Scheduler.run") }
        guard stackSize >= minimumStackSize else {
            Diagnostics.fatal("a stack size of \(stackSize) bytes is too small; use at least \(minimumStackSize)")
        }
        checkLayout()
        let core = try makeCore(stackSize: stackSize, guardedStackLimit: guardedStackLimit)
        cs_set_current_scheduler(core)
        let alternateStack = try StackOverflowReporter.prepareThisThread()
        defer {
            StackOverflowReporter.restore(alternateStack)
            cs_set_current_scheduler(nil)
            destroy(core)
        }
        var failure: (any Error)?
        try spawn {
            do { try main() } catch { failure = error }
        }
        try idleLoop(core)
        if let failure { throw failure }
    }
    // end snippet

    // snippet: idle-loop
    /// The kernel thread's own stack runs this loop whenever no green thread can run.
    private static func idleLoop(_ core: CorePointer) throws {
        while true {
            recycleFinishedThread(core)
            expireTimers(core, now: MonotonicClock.nanosecondsNow())
            if let next = core.pointee.runQueue.popFirst() {
                core.pointee.switchBudget = switchesBetweenPolls
                switchTo(next, core)  // back here when no thread is runnable, or the budget is spent
                if !core.pointee.runQueue.isEmpty { try poll(core, timeout: 0) }  // budget spent: I/O first
                continue
            }
            if core.pointee.liveThreads == 0 { return }
            try poll(core, timeout: epollTimeout(core))
        }
    }
    // end snippet

    /// Milliseconds `epoll_wait` may sleep: until the earliest timer (rounded up, so no timer
    /// fires early), or -1 for "until a descriptor is ready".
    private static func epollTimeout(_ core: CorePointer) -> Int32 {
        guard let deadline = core.pointee.timers.nextDeadline else {
            if core.pointee.poller.waiterCount == 0 {
                Diagnostics.fatal("deadlock: \(core.pointee.liveThreads) green threads are blocked on mutexes, "
                    + "conditions or joins, and no descriptor or timer can ever wake them")
            }
            return -1
        }
        let now = MonotonicClock.nanosecondsNow()
        guard deadline > now else { return 0 }
        let milliseconds = (deadline - now + 999_999) / 1_000_000
        return Int32(clamping: milliseconds)
    }

    private static func poll(_ core: CorePointer, timeout: Int32) throws {
        try core.pointee.poller.wait(timeout: timeout)
        for thread in core.pointee.poller.ready {
            thread.pointee.blockedOn = .notBlocked  // the poller has already let go of it
            wake(thread, .ready, core)
        }
    }

    private static func expireTimers(_ core: CorePointer, now: UInt64) {
        while let thread = core.pointee.timers.popDue(now: now) {
            if case .sleeping = thread.pointee.blockedOn {
                wake(thread, .ready, core)  // a sleep that ran its course
            } else {
                wake(thread, .timedOut, core)  // a wait whose event did not come in time
            }
        }
    }

    // MARK: Switching

    // snippet: switch
    /// Parks the running context (a green thread, or the idle loop) and resumes `next` (nil: the
    /// idle loop). Returns when something switches back to the parked context.
    static func switchTo(_ next: ThreadPointer?, _ core: CorePointer) {
        let current = core.pointee.current
        let save: UnsafeMutablePointer<UnsafeMutableRawPointer?>
        if let current {
            if !current.pointee.stack.guarded && !current.pointee.stack.canaryIntact() {
                StackOverflowReporter.canaryDestroyed(in: current, stacks: core.pointee.stacks)
            }
            // A finished thread's accesses have all ended: there is nothing of its own to take
            // out of the kernel thread's list.
            if core.pointee.swapsExclusivity && !current.pointee.finished {
                swift_task_exitThreadLocalContext(exclusivityBuffer(of: current))
            }
            save = savedStackPointer(of: current)
        } else {
            save = core.pointee.idleStackPointer
        }
        core.pointee.current = next
        let load = next.map { $0.pointee.savedStackPointer! } ?? core.pointee.idleStackPointer.pointee!
        #if ASAN_FIBERS || TSAN_FIBERS
        SanitizerFibers.switchStacks(save, load, from: current, to: next, core)  // the sanitizer told first
        #else
        cs_switch(save, load)
        #endif
        resumed(current, core)
    }

    /// What a context does first whenever it runs again (and a new thread when it starts).
    static func resumed(_ current: ThreadPointer?, _ core: CorePointer) {
        SanitizerFibers.didSwitch(to: current, core)
        recycleFinishedThread(core)
        if let current, core.pointee.swapsExclusivity {
            swift_task_enterThreadLocalContext(exclusivityBuffer(of: current))
        }
    }
    // end snippet

    /// The next thread to switch to when the running one waits: the head of the run queue, or
    /// the idle loop when the queue is empty or the switch budget is spent.
    @inline(__always)
    static func nextToRun(_ core: CorePointer) -> ThreadPointer? {
        guard core.pointee.switchBudget > 0, let next = core.pointee.runQueue.popFirst() else { return nil }
        core.pointee.switchBudget -= 1
        return next
    }

    // snippet: block
    /// Switches away from `me`, which has already made itself findable (in a wait queue, the
    /// poller or the timer heap) by whatever will wake it. Returns why it was woken.
    static func block(_ me: ThreadPointer, on reason: BlockReason, _ core: CorePointer) -> WakeReason {
        me.pointee.blockedOn = reason
        me.pointee.ioStreak = 0
        switchTo(nextToRun(core), core)
        return me.pointee.wakeReason
    }

    /// Makes a blocked thread runnable: disarms its timer, takes it off whatever it waited on,
    /// and appends it to the run queue. Never switches.
    @inline(__always)
    static func wake(_ thread: ThreadPointer, _ reason: WakeReason, _ core: CorePointer) {
        if thread.pointee.timerIndex >= 0 { core.pointee.timers.remove(thread) }
        switch thread.pointee.blockedOn {
        case .readable(let fd): core.pointee.poller.unpark(thread, from: fd, writing: false)
        case .writable(let fd): core.pointee.poller.unpark(thread, from: fd, writing: true)
        case .condition(let queue): queue.pointee.remove(thread)
        case .notBlocked, .sleeping, .mutex, .join: break
        }
        thread.pointee.blockedOn = .notBlocked
        thread.pointee.wakeReason = reason
        core.pointee.runQueue.append(thread)
    }
    // end snippet

    // MARK: Starting and finishing threads

    // snippet: spawn
    /// Starts `body` on a new green thread. It runs when the threads already runnable have had
    /// their turn. Throws `StackAllocationError` if no stack can be mapped.
    @discardableResult
    public static func spawn(_ body: @escaping () -> Void) throws -> GreenThread {
        let core = requireCore("Scheduler.spawn")
        return start(try core.pointee.stacks.take(), body, core)
    }

    static func start(_ thread: ThreadPointer, _ body: @escaping () -> Void, _ core: CorePointer) -> GreenThread {
        core.pointee.lastID += 1
        thread.pointee.id = core.pointee.lastID
        thread.pointee.body = body
        // The stack grows down from just below the record; the first switch to it enters
        // threadEntry(thread) through cs_start.
        let top = UnsafeMutableRawPointer(thread)
        thread.pointee.savedStackPointer = cs_make_context(top, threadEntry, top)
        core.pointee.liveThreads += 1
        core.pointee.runQueue.append(thread)
        return GreenThread(thread: thread, id: thread.pointee.id)
    }
    // end snippet

    /// Runs the thread's body and releases it (and everything it captured) before finishing.
    @inline(never)
    static func runBody(of thread: ThreadPointer) {
        let body = thread.pointee.body!
        thread.pointee.body = nil
        body()
    }

    // snippet: finish
    /// Ends the running thread: wakes its joiners and switches away for good. Its stack cannot be
    /// recycled while we stand on it, so the next context to run does that.
    static func finish(_ thread: ThreadPointer, _ core: CorePointer) -> Never {
        if let report = thread.pointee.stackUseReport { report.pointee = thread.pointee.stack.bytesEverUsed() }
        thread.pointee.finished = true
        while let joiner = thread.pointee.joiners.popFirst() { wake(joiner, .ready, core) }
        core.pointee.liveThreads -= 1
        core.pointee.finishedThread = thread
        switchTo(nextToRun(core), core)
        Diagnostics.fatal("a finished green thread was resumed")
    }
    // end snippet

    static func recycleFinishedThread(_ core: CorePointer) {
        guard let finished = core.pointee.finishedThread else { return }
        core.pointee.finishedThread = nil
        SanitizerFibers.recycling(finished)
        core.pointee.stacks.give(finished)
    }

    // MARK: Waiting

    // snippet: yield
    /// Lets every other runnable green thread run once, then continues.
    public static func yield() {
        let core = requireCore("Scheduler.yield")
        let me = requireThread("Scheduler.yield", core)
        me.pointee.ioStreak = 0
        // Alone in the run queue, we go through the idle loop, which looks for I/O and then
        // resumes us: a thread that yields in a loop never starves descriptors or timers.
        let next = core.pointee.runQueue.isEmpty ? nil : nextToRun(core)
        core.pointee.runQueue.append(me)
        switchTo(next, core)
    }

    /// Suspends the calling green thread for at least `duration` (never less: timers fire only
    /// once the monotonic clock has passed the deadline). Throws `GreenThreadError.interrupted`.
    public static func sleep(for duration: Duration) throws {
        let core = requireCore("Scheduler.sleep(for:)")
        let me = requireThread("Scheduler.sleep(for:)", core)
        try takePendingInterrupt(me)
        me.pointee.deadline = MonotonicClock.nanosecondsNow() + duration.nanoseconds
        core.pointee.timers.insert(me)
        if block(me, on: .sleeping, core) == .interrupted { throw GreenThreadError.interrupted }
    }
    // end snippet

    /// Suspends the calling green thread until `fd` is readable (or has an error or end-of-file
    /// to report). Throws `GreenThreadError.timedOut` or `.interrupted`.
    public static func waitUntilReadable(_ fd: Int32, timeout: Duration? = nil) throws {
        try waitForDescriptor(fd, writing: false, deadline: deadline(after: timeout))
    }

    /// Suspends the calling green thread until `fd` is writable (or has an error to report).
    public static func waitUntilWritable(_ fd: Int32, timeout: Duration? = nil) throws {
        try waitForDescriptor(fd, writing: true, deadline: deadline(after: timeout))
    }

    /// The monotonic deadline `timeout` from now, or nil for none.
    static func deadline(after timeout: Duration?) -> UInt64? {
        timeout.map { MonotonicClock.nanosecondsNow() + $0.nanoseconds }
    }

    // snippet: wait-for-descriptor
    static func waitForDescriptor(_ fd: Int32, writing: Bool, deadline: UInt64?) throws {
        let core = requireCore("a green socket call")
        let me = requireThread("a green socket call", core)
        try takePendingInterrupt(me)
        if let deadline {
            if deadline <= MonotonicClock.nanosecondsNow() { throw GreenThreadError.timedOut }
            me.pointee.deadline = deadline
            core.pointee.timers.insert(me)
        }
        do {
            try core.pointee.poller.park(me, on: fd, writing: writing)
        } catch {
            if me.pointee.timerIndex >= 0 { core.pointee.timers.remove(me) }
            throw error
        }
        switch block(me, on: writing ? .writable(fd: fd) : .readable(fd: fd), core) {
        case .ready: return
        case .timedOut: throw GreenThreadError.timedOut
        case .interrupted: throw GreenThreadError.interrupted
        }
    }
    // end snippet

    // snippet: io-fairness
    /// Called by GreenSocket after an accept, read or write that did not have to wait: after
    /// `ioWithoutWaitingLimit` of them in a row, the thread yields. So a socket call may switch
    /// to another thread *after* it has done its work: never let two threads share the memory
    /// a call fills.
    static func noteIOWithoutWaiting() {
        guard let core = currentCore, let me = core.pointee.current else { return }
        me.pointee.ioStreak += 1
        if me.pointee.ioStreak >= ioWithoutWaitingLimit { yield() }
    }
    // end snippet

    /// Forgets `fd`, which is about to be closed, and wakes any thread waiting on it: its retried
    /// call fails with EBADF rather than waiting forever. GreenSocket.close() calls it; call it
    /// yourself before closing any other descriptor you waited on with `waitUntilReadable`.
    public static func forgetDescriptor(_ fd: Int32) {
        guard let core = currentCore else { return }
        for thread in core.pointee.poller.forget(fd) {
            thread.pointee.blockedOn = .notBlocked
            wake(thread, .ready, core)
        }
    }

    static func takePendingInterrupt(_ me: ThreadPointer) throws {
        if me.pointee.interruptPending {
            me.pointee.interruptPending = false
            throw GreenThreadError.interrupted
        }
    }

    // MARK: Measuring

    /// Runs `body` on a green thread with a never-used stack, waits for it, and returns how many
    /// bytes of that stack it used at its deepest (its high-water mark, the record included).
    public static func measureStackUse(_ body: @escaping () -> Void) throws -> Int {
        let core = requireCore("Scheduler.measureStackUse")
        _ = requireThread("Scheduler.measureStackUse", core)
        let report = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { report.deallocate() }
        report.initialize(to: 0)
        let thread = try core.pointee.stacks.takeFresh()
        thread.pointee.stackUseReport = report
        start(thread, body, core).join()
        return report.pointee
    }

    /// A fair share of the guard pages the kernel's `vm.max_map_count` leaves room for, for one
    /// of `schedulers` schedulers in this process. Each scheduler's stack pool counts its own
    /// mappings, but the limit is the process's: two pools that each took the whole budget would
    /// together run into it (and `mprotect` would fail). Pass it as `run`'s `guardedStackLimit`.
    public static func guardedStackLimit(sharedBy schedulers: Int) -> Int {
        Diagnostics.guardedStackBudget() / max(1, schedulers)
    }

    /// How many stacks have a guard page, and how many are checked with a canary instead.
    public static var stackProtection: (guarded: Int, canary: Int) {
        let core = requireCore("Scheduler.stackProtection")
        let stacks = core.pointee.stacks
        return (stacks.guardedCount, stacks.mappedCount - stacks.guardedCount)
    }

    // MARK: Plumbing

    /// The scheduler of the calling kernel thread, from a thread-local slot.
    @inline(__always)
    static var currentCore: CorePointer? {
        cs_current_scheduler()?.assumingMemoryBound(to: SchedulerCore.self)
    }

    @inline(__always)
    static func requireCore(_ operation: StaticString) -> CorePointer {
        guard let core = currentCore else { misuse(operation, "outside Scheduler.run") }
        return core
    }

    @inline(__always)
    static func requireThread(_ operation: StaticString, _ core: CorePointer) -> ThreadPointer {
        guard let me = core.pointee.current else { misuse(operation, "outside a green thread (from the idle loop)") }
        return me
    }

    @inline(never)
    private static func misuse(_ operation: StaticString, _ place: StaticString) -> Never {
        Diagnostics.fatal("\(operation) called \(place)")
    }

    /// The record field `cs_switch` stores the stack pointer in (offset 0, see checkLayout).
    static func savedStackPointer(of thread: ThreadPointer) -> UnsafeMutablePointer<UnsafeMutableRawPointer?> {
        UnsafeMutableRawPointer(thread).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    }

    /// The record's two-word exclusivity buffer (offset 8, see checkLayout).
    static func exclusivityBuffer(of thread: ThreadPointer) -> UnsafeMutablePointer<CChar> {
        (UnsafeMutableRawPointer(thread) + 8).assumingMemoryBound(to: CChar.self)
    }

    /// The switch reaches two record fields by fixed offsets; stop at once if Swift laid the
    /// record out differently.
    private static func checkLayout() {
        guard MemoryLayout<ThreadRecord>.offset(of: \.savedStackPointer) == 0,
              MemoryLayout<ThreadRecord>.offset(of: \.exclusivity) == 8 else {
            Diagnostics.fatal("ThreadRecord's layout changed: savedStackPointer must be at 0, exclusivity at 8")
        }
    }

    private static func makeCore(stackSize: Int, guardedStackLimit: Int?) throws -> CorePointer {
        let core = CorePointer.allocate(capacity: 1)
        let idleStackPointer = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
        idleStackPointer.initialize(to: nil)
        let poller: Poller
        do {
            poller = try Poller()
        } catch {
            core.deallocate()
            idleStackPointer.deallocate()
            throw error
        }
        core.initialize(to: SchedulerCore(
            poller: poller,
            stacks: StackPool(stackSize: stackSize, guardLimit: guardedStackLimit ?? Diagnostics.guardedStackBudget()),
            // Chapter 5's experiment: STATETHREADS_KEEP_EXCLUSIVITY_RECORDS=1 leaves every green
            // thread's in-progress accesses in the kernel thread's one list.
            swapsExclusivity: getenv("STATETHREADS_KEEP_EXCLUSIVITY_RECORDS") == nil,
            idleStackPointer: idleStackPointer))
        return core
    }

    private static func destroy(_ core: CorePointer) {
        recycleFinishedThread(core)
        core.pointee.stacks.unmapAll()
        core.pointee.poller.close()
        core.pointee.idleStackPointer.deallocate()
        core.deinitialize(count: 1)
        core.deallocate()
    }
}

// snippet: thread-entry
/// Where every green thread starts: cs_start calls it on the new stack with the thread's record.
private func threadEntry(_ argument: UnsafeMutableRawPointer?) {
    let thread = argument!.assumingMemoryBound(to: ThreadRecord.self)
    let core = Scheduler.currentCore!
    Scheduler.resumed(thread, core)  // what returning from cs_switch does for a thread that ran before
    Scheduler.runBody(of: thread)
    Scheduler.finish(thread, core)  // never returns: there is nothing above this frame to return to
}
// end snippet
