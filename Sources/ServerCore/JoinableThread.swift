// JoinableThread: a pthread that runs a Swift closure and that someone waits for with `pthread_join`.
//
// Chapter 2's threads are detached: nobody waits for them, so nobody knows when they are done.
// A server that shuts down gracefully must know — Part 3 joins its workers, and every server
// joins the thread that turns SIGINT/SIGTERM into ordinary control flow — so this is the
// joinable sibling of Part 2's `startDetachedThread`, with the same trick: the closure travels
// through `pthread_create`'s `void *` argument in a box retained once by hand.

import Glibc

/// Carries a closure across `pthread_create`'s `void *` argument.
private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// A running pthread that must be joined exactly once.
public struct JoinableThread: Sendable {
    private let thread: pthread_t

    // snippet: joinable-thread
    /// Starts `body` on a new pthread. Throws if the thread could not be created
    /// (for example EAGAIN when the process has reached its thread limit).
    public init(_ body: @escaping @Sendable () -> Void) throws {
        let argument = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            // This closure captures nothing, so Swift can pass it as a C function pointer.
            Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, argument)
        if result != 0 {
            Unmanaged<ThreadBody>.fromOpaque(argument).release()  // the thread never took it
            throw SystemCallError("pthread_create(3)", code: result)
        }
        self.thread = thread
    }

    /// Waits until the thread's closure has returned, then frees the thread's stack.
    public func join() {
        pthread_join(thread, nil)
    }
    // end snippet
}
