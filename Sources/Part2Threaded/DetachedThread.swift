// DetachedThread: starting a pthread that runs a Swift closure and cleans up after itself.
//
// `pthread_create` takes a C function pointer and one `void *` argument. A C function pointer
// cannot capture anything, so the closure travels in the argument: boxed in a class, retained
// once by hand (`passRetained`), and released by the new thread when it takes the box back
// (`takeRetainedValue`). The thread is detached, so nobody joins it: its stack and bookkeeping
// are freed by the system the moment the closure returns.

import Glibc
import ServerCore

/// Carries a closure across `pthread_create`'s `void *` argument.
private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

// snippet: start-thread
/// Runs `body` on a new detached pthread. Throws if the thread could not be created
/// (for example EAGAIN when the process has reached its thread limit).
func startDetachedThread(_ body: @escaping @Sendable () -> Void) throws {
    let argument = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
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
}
// end snippet
