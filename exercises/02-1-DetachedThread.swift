// Exercise 02-1: start a detached pthread that runs a Swift closure.
//
// Chapter 2's server gives every client a thread of its own. `pthread_create` wants a C function
// pointer and one `void *` argument, and a C function pointer cannot capture anything, so the
// closure must travel in the argument: boxed in a class, retained once by hand on the way in, and
// released by the new thread on the way out. Nobody joins the thread, so make it detached: the
// system frees its stack as soon as the closure returns.
//
// `ClosureBox` below is the box; write `spawnDetached`. (Swift 6.3.1's compiler crashes, rather
// than reporting an error, if the start routine captures anything: if you see it crash, that is
// why.) Part2Threaded's `startDetachedThread` is the answer; try before you look.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise02_1`).

// I AM NOT DONE

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
    // TODO: box `body`, pass the box retained through pthread_create's argument, and have the
    // start routine take it back and run it. Ask for a detached thread.
}
