// EventLoopExecutor: the scheduler under our async tasks — one kernel thread, a queue of jobs,
// and epoll for when the queue is empty.
//
// Put it next to Part 5's Scheduler (Sources/StateThreads/Scheduler.swift). Both keep a run queue
// and sleep in epoll_wait when it is empty; both wake a waiter when its descriptor is ready. The
// difference is what sits in the queue. Part 5 queues green threads: a saved stack pointer into a
// 64 KiB stack. Here the Swift runtime hands us *jobs* (`ExecutorJob`): "run this task from where
// it last stopped". The task's state is not on a stack at all: it is in the async frames the
// compiler laid out on the task's own allocator, and a job's run returns to us when the task
// suspends or ends. So this executor never switches stacks; it just calls the next job.
//
// An async socket (AsyncSocket.swift) tries its read or write, and on EAGAIN calls
// `waitUntilReadable`/`waitUntilWritable` here, which store the task's continuation by descriptor
// and suspend it. When epoll reports the descriptor, the loop resumes the continuation, which
// enqueues the task's next job on this executor, and the next turn of the loop runs it.
//
// Threads: `run()` is the one thread that runs jobs and touches the waiter tables. `enqueue` may
// be called from any thread (a task on Swift's global pool hopping back here, in the blocking
// demonstration), so the job queue alone has a mutex and an eventfd to wake a sleeping loop.

import CLinux
import Glibc
import ServerCore

/// A task waiting on a descriptor was woken without its event: timed out, or interrupted.
enum WaitError: Error {
    case timedOut
    case interrupted
}

// @unchecked Sendable: `queue` and `sleeping` are guarded by `mutex`; everything else is touched
// only by the thread inside `run()` (checked by `assertOnLoop`), which is the thread that runs
// every job preferring this executor, and so the only thread that can call the wait functions.
final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    /// Jobs enqueued and not yet run (guarded by `mutex`).
    private var queue: [UnownedJob] = []
    /// The loop is in (or about to enter) epoll_wait with nothing to run (guarded by `mutex`).
    private var sleeping = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    private let epoll: Int32
    /// Written by `enqueue` from another thread to end the loop's epoll_wait early.
    private let wakeFD: Int32
    private var loopThread: pthread_t?
    private var stopping = false

    /// Who waits for what, by descriptor: the suspended tasks' continuations.
    private var waiters = WaiterTable()
    /// Deadlines of timed read waits: at most one entry per descriptor (see `armTimer`).
    private var timers = DeadlineHeap()
    /// Where every task's socket reads land, on this thread only (`AsyncSocket.readNow`).
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    struct Waiters {
        var reader: UnsafeContinuation<Void, any Error>?
        var writer: UnsafeContinuation<Void, any Error>?
        /// When the waiting reader gives up (nanoseconds, monotonic clock).
        var readDeadline: UInt64?
        /// The deadline of this descriptor's entry in `timers`, if it has one.
        var timerArmedFor: UInt64?
        /// Whether the registration asks for EPOLLOUT (only while a write is waiting).
        var watchingWrites = false
        /// Set by `interrupt`: every wait from now on fails at once.
        var interrupted = false
    }

    init() throws {
        pthread_mutex_init(mutex, nil)
        epoll = try retryingOnInterrupt("epoll_create1(2)") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        wakeFD = try retryingOnInterrupt("eventfd(2)") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        try retryingOnInterrupt("epoll_ctl(2)") { epoll_ctl(epoll, EPOLL_CTL_ADD, wakeFD, &event) }
    }

    deinit {
        readBuffer.deallocate()
        Glibc.close(wakeFD)
        Glibc.close(epoll)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    // snippet: enqueue
    /// Called by the Swift runtime whenever a task that prefers this executor has work to do:
    /// it was just created, or a continuation it waits on was resumed.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        queue.append(job)
        let mustWake = sleeping  // only another thread can find the loop asleep
        sleeping = false
        pthread_mutex_unlock(mutex)
        if mustWake { _ = eventfd_write(wakeFD, 1) }
    }
    // end snippet

    // snippet: run
    /// Runs jobs on the calling thread until `stop()`: all the jobs there are, then a wait in
    /// epoll for descriptors or the next deadline, whose waiters become jobs again.
    func run() {
        loopThread = pthread_self()
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: 1024)
        defer { events.deallocate() }
        var batch: [UnownedJob] = []
        while !stopping {
            pthread_mutex_lock(mutex)
            swap(&batch, &queue)  // take every queued job at once; new ones wait for the next turn
            sleeping = batch.isEmpty
            pthread_mutex_unlock(mutex)
            for job in batch {
                job.runSynchronously(on: asUnownedTaskExecutor())  // returns when the task suspends or ends
            }
            let hadWork = !batch.isEmpty
            batch.removeAll(keepingCapacity: true)
            if stopping { break }
            // Jobs just run may have enqueued more: then only look at epoll, do not sleep in it.
            let timeout = hadWork ? 0 : millisecondsUntilNextDeadline()
            let count = epoll_wait(epoll, events, 1024, timeout)
            pthread_mutex_lock(mutex)
            sleeping = false
            pthread_mutex_unlock(mutex)
            for index in 0..<Int(max(count, 0)) {
                wake(events[index])
            }
            expireDeadlines()
        }
        loopThread = nil
    }
    // end snippet

    /// Makes `run()` return after the current job.
    func stop() {
        assertOnLoop()
        stopping = true
    }

    // snippet: wake
    /// Resumes whoever waits for what the event says is ready. An event nobody waits for is
    /// dropped: its task has not yet tried the call that would have found EAGAIN, and will find
    /// the bytes when it does.
    private func wake(_ event: epoll_event) {
        let fd = event.data.fd
        if fd == wakeFD {
            var value: eventfd_t = 0
            _ = eventfd_read(wakeFD, &value)
            return
        }
        let trouble = EPOLLERR.rawValue | EPOLLHUP.rawValue
        if event.events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | trouble) != 0,
           let reader = waiters[fd]?.reader {
            waiters[fd]!.reader = nil
            waiters[fd]!.readDeadline = nil
            reader.resume()  // enqueues the task's next job; it runs on the next turn
        }
        if event.events & (EPOLLOUT.rawValue | trouble) != 0, let writer = waiters[fd]?.writer {
            waiters[fd]!.writer = nil
            writer.resume()
        }
    }
    // end snippet

    // MARK: Descriptors

    /// Watches `fd` for the rest of its life: edge-triggered, so one registration serves every
    /// wait, and an event arrives only when something new happens to the descriptor.
    func register(_ fd: Int32) throws {
        assertOnLoop()
        waiters[fd] = Waiters()
        try control(EPOLL_CTL_ADD, fd, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue)
    }

    /// Forgets `fd` before it is closed (closing removes it from the epoll set).
    func deregister(_ fd: Int32) {
        assertOnLoop()
        waiters[fd] = nil
    }

    // snippet: wait
    /// Suspends the calling task until `fd` is readable, `deadline` (monotonic nanoseconds)
    /// passes, or `interrupt(fd)` is called. The caller has just seen EAGAIN.
    nonisolated(nonsending) func waitUntilReadable(_ fd: Int32, deadline: UInt64? = nil) async throws {
        assertOnLoop()
        if waiters[fd]?.interrupted ?? true { throw WaitError.interrupted }
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            // Runs before the task suspends, still on this thread: nothing can happen in between.
            waiters[fd]!.reader = continuation
            if let deadline { armTimer(fd, deadline: deadline) }
        }
    }
    // end snippet

    /// Suspends the calling task until `fd` is writable (or `interrupt(fd)` is called).
    nonisolated(nonsending) func waitUntilWritable(_ fd: Int32) async throws {
        assertOnLoop()
        guard let entry = waiters[fd], !entry.interrupted else { throw WaitError.interrupted }
        if !entry.watchingWrites {
            // Rare (the client reads slower than we write): ask for EPOLLOUT only now.
            try control(EPOLL_CTL_MOD, fd, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLOUT.rawValue | EPOLLET.rawValue)
            waiters[fd]!.watchingWrites = true
        }
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            waiters[fd]!.writer = continuation
        }
    }

    /// Resumes the waiters of `fd` with `WaitError.interrupted`, now and for every later wait
    /// (shutdown: their sessions end).
    func interrupt(_ fd: Int32) {
        assertOnLoop()
        guard var entry = waiters[fd] else { return }
        entry.interrupted = true
        let reader = entry.reader, writer = entry.writer
        entry.reader = nil
        entry.writer = nil
        entry.readDeadline = nil
        waiters[fd] = entry
        reader?.resume(throwing: WaitError.interrupted)
        writer?.resume(throwing: WaitError.interrupted)
    }

    /// Resumes a task waiting to read `fd` as if it were readable: it retries its call. Used
    /// to tell a waiting task that something else changed (a client left).
    func nudge(_ fd: Int32) {
        assertOnLoop()
        guard let reader = waiters[fd]?.reader else { return }
        waiters[fd]!.reader = nil
        waiters[fd]!.readDeadline = nil
        reader.resume()
    }

    // MARK: Deadlines

    /// Notes `deadline` for the reader of `fd`. A busy client waits thousands of times a second,
    /// so instead of one heap entry per wait, a descriptor keeps one entry; when it comes due
    /// and the reader's deadline has moved on, `expireDeadlines` pushes it again, later.
    private func armTimer(_ fd: Int32, deadline: UInt64) {
        waiters[fd]!.readDeadline = deadline
        if let armed = waiters[fd]!.timerArmedFor, armed <= deadline { return }
        waiters[fd]!.timerArmedFor = deadline
        timers.push(deadline, fd)
    }

    private func expireDeadlines() {
        guard !timers.isEmpty else { return }
        let now = MonotonicClock.nanosecondsNow()
        while let (due, fd) = timers.first, due <= now {
            timers.removeFirst()
            guard let entry = waiters[fd], entry.timerArmedFor == due else { continue }  // stale
            waiters[fd]!.timerArmedFor = nil
            guard let reader = entry.reader, let deadline = entry.readDeadline else { continue }
            if deadline <= now {
                waiters[fd]!.reader = nil
                waiters[fd]!.readDeadline = nil
                reader.resume(throwing: WaitError.timedOut)
            } else {
                waiters[fd]!.timerArmedFor = deadline
                timers.push(deadline, fd)
            }
        }
    }

    private func millisecondsUntilNextDeadline() -> Int32 {
        guard let (due, _) = timers.first else { return -1 }
        let now = MonotonicClock.nanosecondsNow()
        if due <= now { return 0 }
        return Int32(clamping: (due - now + 999_999) / 1_000_000)  // round up: never wake early
    }

    // MARK: Plumbing

    private func control(_ operation: Int32, _ fd: Int32, events: UInt32) throws {
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        try retryingOnInterrupt("epoll_ctl(2)") { epoll_ctl(epoll, operation, fd, &event) }
    }

    /// Traps if called off the loop's thread: the waiter tables have no lock, by design.
    func assertOnLoop() {
        precondition(loopThread.map { pthread_equal($0, pthread_self()) != 0 } ?? false,
                     "EventLoopExecutor used off its thread")
    }
}

/// The waiters by descriptor, in an array indexed by the descriptor's number: descriptors are
/// small integers the kernel hands out lowest first, so this is what the kernel's own table
/// does, and a lookup is an index instead of a hash (callgrind showed hashing at ~4%).
struct WaiterTable {
    private var slots: [EventLoopExecutor.Waiters?] = []

    subscript(fd: Int32) -> EventLoopExecutor.Waiters? {
        get { Int(fd) < slots.count ? slots[Int(fd)] : nil }
        set {
            if Int(fd) >= slots.count {
                guard newValue != nil else { return }
                slots.append(contentsOf: repeatElement(nil, count: Int(fd) + 1 - slots.count))
            }
            slots[Int(fd)] = newValue
        }
    }
}

/// A binary min-heap of (deadline, descriptor).
struct DeadlineHeap {
    private var entries: [(UInt64, Int32)] = []

    var isEmpty: Bool { entries.isEmpty }
    var first: (UInt64, Int32)? { entries.first }

    mutating func push(_ deadline: UInt64, _ fd: Int32) {
        entries.append((deadline, fd))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].0 < entries[parent].0 else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeFirst() {
        entries.swapAt(0, entries.count - 1)
        entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].0 < entries[smallest].0 { smallest = left }
            if right < entries.count && entries[right].0 < entries[smallest].0 { smallest = right }
            if smallest == parent { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
