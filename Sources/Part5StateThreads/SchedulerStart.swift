// SchedulerStart: one kernel thread, one scheduler, one listener (Chapter 8).
//
// `--schedulers N` runs N of these side by side. Each kernel thread calls `Scheduler.run`, which
// finds its scheduler through a thread-local slot: its own run queue, timers, epoll instance
// (the poller) and stack pool. A green thread is spawned on the scheduler of the thread that
// spawns it and never leaves it, so nothing of one scheduler is ever touched by another's
// thread. What they do share is small and locked: the summary counts (ServerStats) and the
// signal relay.

import Glibc
import ServerCore
import StateThreads

// snippet: scheduler-start
/// Everything one scheduler's kernel thread needs, handed over before the thread starts.
struct SchedulerStart: Sendable {
    let listener: Socket
    let wakeFD: Int32
    let configuration: GreenServer.Configuration
    let stackSize: Int
    let guardedStackLimit: Int
    /// Prints `listening on` once every scheduler is ready (tests count descriptors from then on).
    let announces: Bool

    /// Runs a scheduler with a GreenServer on its first green thread until every green thread has
    /// finished; returns why it failed, if it did.
    func run(stats: ServerStats, relay: SignalRelay, ready: Countdown) -> String? {
        var counted = false
        defer { if !counted { ready.countDown() } }  // a scheduler that failed must not hold main up
        var serving = false  // set once a GreenServer owns the listener (and so will close it)
        do {
            let signals = try SignalDescriptor(for: [SIGINT, SIGTERM])  // this scheduler's own signalfd
            try Scheduler.run(stackSize: stackSize, guardedStackLimit: guardedStackLimit) {
                let greenServer = GreenServer(
                    listener: try GreenSocket(adopting: listener), signals: signals, stats: stats,
                    configuration: configuration, relay: relay, wakeFD: wakeFD)
                serving = true
                counted = true
                ready.countDown()
                if announces {
                    ready.wait()  // blocks this kernel thread for the few milliseconds the others take to start
                    try announce(listener)
                }
                greenServer.run()  // returns when it stops accepting; run returns when every client has left
            }
            return nil
        } catch {
            // Nobody will ever accept on this listener: close it, or the kernel keeps handing it
            // its share of new connections, which would wait for a greeting that never comes.
            if !serving { listener.close() }
            return "scheduler stopped: \(error)"
        }
    }
}
// end snippet

/// Lets main wait until every scheduler is ready before it announces the port.
// @unchecked Sendable: `remaining` is only touched with `mutex` locked.
final class Countdown: @unchecked Sendable {
    private var remaining: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let reachedZero = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(_ count: Int) {
        remaining = count
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(reachedZero, nil)
    }

    deinit {
        pthread_cond_destroy(reachedZero)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        reachedZero.deallocate()
    }

    func countDown() {
        pthread_mutex_lock(mutex)
        remaining -= 1
        if remaining <= 0 { pthread_cond_broadcast(reachedZero) }
        pthread_mutex_unlock(mutex)
    }

    func wait() {
        pthread_mutex_lock(mutex)
        while remaining > 0 { pthread_cond_wait(reachedZero, mutex) }
        pthread_mutex_unlock(mutex)
    }
}
