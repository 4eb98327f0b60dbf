// JoinableThread: a pthread that runs a Swift closure and hands its result to whoever joins it.
//
// Chapter 2's server detaches its threads: nobody waits for them, so nobody knows when they are
// done. Waiting matters elsewhere. Part 3 joins its workers and every blocking server joins the
// thread that turns SIGINT/SIGTERM into a shutdown, so they know no thread is still writing
// when they print their summary; the client simulator joins one thread per simulated client to
// collect its result. The closure crosses `pthread_create` the way Part 2's does: boxed,
// retained once by hand, and taken back by a start routine that captures nothing.

import Glibc

/// Carries a closure across `pthread_create`'s `void *` argument.
private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Where the thread leaves its result for `join()`.
// @unchecked Sendable: `value` is written once by the thread before it ends and read only after
// pthread_join has returned, which orders the write before the read.
private final class ResultSlot<Value>: @unchecked Sendable {
    var value: Value?
}

/// A thread running `body`; `join()` waits for it to finish and returns what `body` returned.
public final class JoinableThread<Value: Sendable>: Sendable {
    private let thread: pthread_t
    private let slot = ResultSlot<Value>()

    /// Starts the thread. Throws if it could not be created (e.g. EAGAIN at the thread limit).
    public init(_ body: @escaping @Sendable () -> Value) throws {
        let slot = self.slot
        thread = try startThread { slot.value = body() }
    }

    // snippet: join
    /// Waits until the thread's closure has returned, frees the thread's stack, and returns
    /// the closure's result. Call it exactly once.
    @discardableResult
    public func join() -> Value {
        pthread_join(thread, nil)
        return slot.value!  // set: the body has returned, or pthread_join would still be waiting
    }
    // end snippet
}

/// Starts a joinable pthread running `body`. Not generic on purpose: the start routine must be
/// a C function pointer, which can capture neither context nor generic parameters.
private func startThread(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
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
    return thread
}
