// Exercise 02-1: bring a thread's result back through pthread_join.
//
// Chapter 2 starts a detached thread: a Swift closure goes *in* through `pthread_create`'s
// `void *` argument, boxed and retained by hand, and nothing comes back. Here the thread is
// joinable and its closure returns a value, which must come *out* the same way: a start routine
// returns a `void *`, and `pthread_join(thread, &pointer)` hands that pointer to the joiner.
// (ServerCore's JoinableThread does it differently, with a shared slot; do it through the pointer.)
//
// Write `startJoinable` and `Joinable.join`. The boxes are given:
//   - `ThreadStart` carries the work in. Its closure returns an untyped pointer, because the
//     start routine must capture nothing, not even the generic `Value`.
//   - `ResultBox<Value>` carries the result out.
// Every box must be freed exactly once: once the closure has run, and once the result has been
// read. The tests count. (Swift 6.3.1's compiler crashes, rather than reporting an error, if the
// start routine captures anything: if you see it crash, that is why.)
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise02_1`). Stuck? `swift run Progress hint 02-1`.

// I AM NOT DONE

import Glibc
import ServerCore

/// Carries a thread's work across `pthread_create`'s `void *` argument.
final class ThreadStart {
    /// Runs the work and returns its result, boxed and retained, as an untyped pointer.
    let run: @Sendable () -> UnsafeMutableRawPointer?
    init(_ run: @escaping @Sendable () -> UnsafeMutableRawPointer?) { self.run = run }
}

/// Carries a thread's result across the start routine's `void *` return value.
final class ResultBox<Value> {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A running thread whose result `join()` returns.
struct Joinable<Value: Sendable> {
    let thread: pthread_t

    /// Waits for the thread to finish and returns what its closure returned. Call it once.
    func join() -> Value {
        // TODO: pthread_join, then take the result box back from the pointer it hands you.
        fatalError("02-1: join is not written yet")
    }
}

/// Starts a joinable pthread running `body`. Throws a `SystemCallError` naming
/// `pthread_create(3)` if the thread could not be created.
func startJoinable<Value: Sendable>(_ body: @escaping @Sendable () -> Value) throws -> Joinable<Value> {
    // TODO: wrap `body` in a ThreadStart whose closure boxes the result; pass the ThreadStart,
    // retained, to pthread_create; the start routine takes it back, runs it, and returns the
    // pointer it got.
    throw SystemCallError("pthread_create(3)", code: ENOSYS)
}
