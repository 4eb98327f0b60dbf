// JoinableThread: a pthread that runs a Swift closure and hands its result to whoever joins it.
//
// The client gives each simulated client its own kernel thread, so N clients really do wait on
// the server at the same time (Swift concurrency's small pool of threads would run blocking
// sessions a few at a time and make every server look sequential). Part 2's server detaches its
// threads; the client joins them, because it needs every client's result before it can report.
// The closure crosses `pthread_create` the same way as in Part 2: boxed, retained by hand, and
// taken back by a start routine that captures nothing.

import Glibc
import ServerCore

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
final class JoinableThread<Value: Sendable> {
    private let thread: pthread_t
    private let slot = ResultSlot<Value>()

    /// Starts the thread. Throws if it could not be created (e.g. EAGAIN at the thread limit).
    init(_ body: @escaping @Sendable () -> Value) throws {
        let slot = self.slot
        thread = try startThread { slot.value = body() }
    }

    /// Waits for the thread to finish. Call it once.
    func join() -> Value {
        pthread_join(thread, nil)
        return slot.value!  // set: the body has returned, or pthread_join would still be waiting
    }
}

/// Starts a joinable pthread running `body`. Not generic on purpose: the start routine must be
/// a C function pointer, which can capture neither context nor generic parameters.
private func startThread(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
    let argument = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { argument in
        Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue().run()
        return nil
    }, argument)
    if result != 0 {
        Unmanaged<ThreadBody>.fromOpaque(argument).release()  // the thread never took it
        throw SystemCallError("pthread_create(3)", code: result)
    }
    return thread
}
