// Exercise 02-1, reference solution: a detached pthread that runs a Swift closure.
//
// The box pattern of Part2Threaded's `startDetachedThread` (Chapter 2): the closure crosses
// `pthread_create`'s `void *` argument in a class instance retained by hand, and the new thread
// takes that reference back, so the box is freed once the closure has run.

import Glibc
import ServerCore

/// Carries a closure across `pthread_create`'s `void *` argument.
final class ClosureBox {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Runs `body` on a new detached pthread and returns without waiting for it. Throws a
/// `SystemCallError` naming `pthread_create(3)` if the thread could not be created.
func spawnDetached(_ body: @escaping @Sendable () -> Void) throws {
    let argument = Unmanaged.passRetained(ClosureBox(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let result = pthread_create(&thread, &attributes, { argument in
        // Captures nothing, so Swift can pass it as a C function pointer.
        Unmanaged<ClosureBox>.fromOpaque(argument!).takeRetainedValue().run()
        return nil
    }, argument)
    if result != 0 {
        Unmanaged<ClosureBox>.fromOpaque(argument).release()  // no thread will take it back
        throw SystemCallError("pthread_create(3)", code: result)  // pthread calls return the error
    }
}
