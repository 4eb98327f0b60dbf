// GreenThread: a handle on a green thread, to wait for it or to interrupt it.
//
// A handle is a pointer to the thread's record plus the thread's id. Stacks are recycled the
// moment a thread finishes, so the record may by then belong to another thread (or, for a stack
// handed back to the kernel, read as zeros): the id tells. A handle whose id no longer matches
// refers to a finished thread, so `join()` returns at once and `interrupt()` does nothing. This
// is why a handle can be copied and dropped freely, and why no thread needs detaching: nothing is
// kept for a thread nobody joins. Handles are meaningful only inside the `Scheduler.run` that
// made them.

public struct GreenThread: Hashable, CustomStringConvertible {
    let thread: ThreadPointer
    /// Unique among the threads one `Scheduler.run` has spawned, counting from 1.
    public let id: Int

    /// The green thread calling this, or nil outside a green thread.
    public static var current: GreenThread? {
        guard let core = Scheduler.currentCore, let me = core.pointee.current else { return nil }
        return GreenThread(thread: me, id: me.pointee.id)
    }

    /// Whether the thread has finished.
    public var isFinished: Bool {
        thread.pointee.id != id || thread.pointee.finished
    }

    public var description: String { "green thread #\(id)" }

    // snippet: join
    /// Waits until the thread has finished. Returns at once if it already has.
    public func join() {
        let core = Scheduler.requireCore("GreenThread.join")
        guard !isFinished else { return }
        let me = Scheduler.requireThread("GreenThread.join", core)
        guard me != thread else { Diagnostics.fatal("green thread #\(id) tried to join itself") }
        thread.pointee.joiners.append(me)
        _ = Scheduler.block(me, on: .join, core)
    }
    // end snippet

    // snippet: interrupt
    /// Makes the thread's current blocking call — `sleep(for:)`, a socket call, a condition
    /// wait — throw `GreenThreadError.interrupted`. If the thread is not blocked in one, its next
    /// such call throws instead. GreenMutex locks and joins are not interrupted.
    public func interrupt() {
        let core = Scheduler.requireCore("GreenThread.interrupt")
        guard !isFinished else { return }
        if thread.pointee.blockedOn.isInterruptible {
            Scheduler.wake(thread, .interrupted, core)
        } else {
            thread.pointee.interruptPending = true
        }
    }
    // end snippet
}
