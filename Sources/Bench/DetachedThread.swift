// DetachedThread: running a Swift closure on a new detached pthread (for Bench's toy server).
//
// The closure travels through `pthread_create`'s `void *` argument in a retained box, and the
// start routine captures nothing, so Swift can hand it to C as a function pointer (the pattern
// SWIFT-NOTES.md describes; Part 2 has its own copy, as a Part never imports another module's
// internals).

import Glibc
import ServerCore

private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Runs `body` on a new detached pthread.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) throws {
    let argument = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let result = pthread_create(&thread, &attributes, { argument in
        Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue().run()
        return nil
    }, argument)
    if result != 0 {
        Unmanaged<ThreadBody>.fromOpaque(argument).release()
        throw SystemCallError("pthread_create(3)", code: result)
    }
}
