// Exercise 02-1, reference solution: a thread's result brought back through pthread_join.
//
// Chapter 2's `createThread` carries the closure in; the same trick, run backwards, carries the
// result out: the start routine returns the retained result box as its `void *`, and
// `pthread_join` hands that pointer to the joiner, who takes the reference back.

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
        var pointer: UnsafeMutableRawPointer?
        let result = pthread_join(thread, &pointer)
        precondition(result == 0, "pthread_join failed with \(result): was the thread joined twice?")
        // The start routine returned the box retained; this takes that reference back.
        return Unmanaged<ResultBox<Value>>.fromOpaque(pointer!).takeRetainedValue().value
    }
}

/// Starts a joinable pthread running `body`. Throws a `SystemCallError` naming
/// `pthread_create(3)` if the thread could not be created.
func startJoinable<Value: Sendable>(_ body: @escaping @Sendable () -> Value) throws -> Joinable<Value> {
    // Generic code lives here, outside the start routine: the box's closure knows Value.
    let start = ThreadStart {
        UnsafeMutableRawPointer(Unmanaged.passRetained(ResultBox(body())).toOpaque())
    }
    let argument = Unmanaged.passRetained(start).toOpaque()
    var thread = pthread_t()
    // Default attributes: a joinable thread.
    let result = pthread_create(&thread, nil, { argument in
        // Captures nothing, so Swift can pass it as a C function pointer.
        Unmanaged<ThreadStart>.fromOpaque(argument!).takeRetainedValue().run()
    }, argument)
    if result != 0 {
        Unmanaged<ThreadStart>.fromOpaque(argument).release()  // the thread never took it
        throw SystemCallError("pthread_create(3)", code: result)
    }
    return Joinable(thread: thread)
}
