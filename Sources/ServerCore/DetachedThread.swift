// DetachedThread: starting a pthread that runs a Swift closure.
//
// `pthread_create` takes a C function pointer and one `void *` argument. A C function pointer
// cannot capture anything, so the closure travels in the argument: boxed in a class, retained
// once by hand (`passRetained`), and released by the new thread when it takes the box back
// (`takeRetainedValue`). Part 2 starts one *detached* thread per client — nobody joins it, and
// its stack is freed the moment the closure returns; `JoinableThread` uses the same start for
// threads someone waits for (Part 3's workers, the signal thread, the client simulator).

import Glibc

/// Carries a closure across `pthread_create`'s `void *` argument.
final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

// snippet: start-thread
/// Runs `body` on a new detached pthread. Throws if the thread could not be created
/// (for example EAGAIN when the process has reached its thread limit).
public func startDetachedThread(_ body: @escaping @Sendable () -> Void) throws {
    _ = try createThread(detached: true, body)
}

/// Creates a pthread running `body`: detached, or joinable with `pthread_join`.
func createThread(detached: Bool, _ body: @escaping @Sendable () -> Void) throws -> pthread_t {
    let argument = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(detached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE))
    var thread = pthread_t()
    let result = pthread_create(&thread, &attributes, { argument in
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
// end snippet
