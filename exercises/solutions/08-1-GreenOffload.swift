// Exercise 08-1: offload CPU work from a green thread, without stopping the others.
//
// Part 5's green threads share one kernel thread, so a green thread that computes for 20 ms
// stops every other green thread of its scheduler for 20 ms (Chapter 5's "no preemption").
// Part 4 solved this in Chapter 8 with a worker pool and an eventfd; Part 5 has no such thing
// yet. Write it for one job at a time: `offload` runs `work` on a kernel thread of its own and
// parks only the calling green thread until the work is done, while the scheduler goes on
// running everyone else. The green thread must not wait the way a kernel thread does (a join,
// or a read of a descriptor that is not ready yet, blocks the whole scheduler); it waits the
// way every green thread waits, for a descriptor, in the scheduler's epoll. So the worker must
// make a descriptor readable when it is done: an eventfd.
//
// Each offload makes an eventfd and must close it before it returns, on every path — but never
// while the worker may still write to it: a closed descriptor's number is soon given to another
// socket, and the worker's late write would land there.
//
// Useful: `eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))` (CLinux) makes one; ServerCore's
// `wakeEventDescriptor(fd)` adds 1 to its counter, `drainEventDescriptor(fd)` reads and resets it
// (0 if nobody wrote); `JoinableThread { ... }` runs a closure on a new kernel thread and `join()`
// returns what it returned; `Scheduler.waitUntilReadable(fd)` parks the calling green thread;
// `Scheduler.forgetDescriptor(fd)` must come before closing a descriptor you waited on with it.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise08_1`).

import CLinux
import Glibc
import ServerCore
import StateThreads

/// Runs `work` on a kernel thread of its own, parks only the calling green thread until it is
/// done, and returns what it returned. The scheduler's other green threads run meanwhile.
///
/// Throws if the eventfd or the thread cannot be made, or if waiting throws (the green thread
/// was interrupted); when it throws after starting the work, the work has finished.
func offload(_ work: @escaping @Sendable () -> Int) throws -> Int {
    let done = try retryingOnInterrupt("eventfd(2)") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
    defer {
        Scheduler.forgetDescriptor(done)  // the poller must not think the next eventfd with this number is registered
        close(done)
    }
    let worker = try JoinableThread { () -> Int in
        let result = work()
        wakeEventDescriptor(done)  // the last thing the worker does with `done`
        return result
    }
    do {
        while drainEventDescriptor(done) == 0 {  // 0: the worker has not written it yet
            try Scheduler.waitUntilReadable(done)
        }
    } catch {
        worker.join()  // blocks the scheduler until the work ends, but closing `done` before its write would be worse
        throw error
    }
    return worker.join()  // it has written `done`, so it is returning: a join of microseconds
}
