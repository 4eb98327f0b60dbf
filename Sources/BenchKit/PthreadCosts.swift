// PthreadCosts: what kernel threads cost — to create, to hand a token between, to keep idle.
//
// These are the prices Chapters 2 and 3 quote and Chapter 5 undercuts. Each measurement uses
// the C calls directly (`pthread_create`, a mutex and a condition variable), with nothing of
// Swift's own in the timed path but the loop around them: a thread's start routine is a
// closure that captures nothing, so Swift passes it to C as a plain function pointer.

import Glibc
import Harness
import ServerCore

enum PthreadCosts {
    // snippet: spawn
    /// Nanoseconds to create a pthread that does nothing and join it, averaged over `iterations`.
    static func createAndJoin(iterations: Int) throws -> Double {
        let started = MonotonicClock.nanosecondsNow()
        for _ in 0..<iterations {
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, { _ in nil }, nil)
            guard result == 0 else { throw SystemCallError("pthread_create(3)", code: result) }
            pthread_join(thread, nil)
        }
        return Double(MonotonicClock.nanosecondsNow() - started) / Double(iterations)
    }
    // end snippet

    /// Nanoseconds per handoff of a token between two pthreads through a mutex and a condition
    /// variable, over `rounds` round trips (two handoffs each).
    static func handoff(rounds: Int) throws -> Double {
        try TokenHandoff().run(rounds: rounds)
    }

    /// Bytes of resident memory each of `count` idle pthreads adds to the process, with
    /// `stackSize` bytes of stack (nil: the default, 8 MiB from `ulimit -s`).
    static func idleThreadMemory(count: Int, stackSize: Int?) throws -> Double {
        let gate = ThreadGate()
        var threads = [pthread_t](repeating: 0, count: count)  // allocated before the baseline
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackSize {
            let result = pthread_attr_setstacksize(&attributes, stackSize)
            guard result == 0 else { throw SystemCallError("pthread_attr_setstacksize(3)", code: result) }
        }
        let before = try ProcSampler.current.exactResidentBytes()
        var created = 0
        defer {
            gate.open()
            for index in 0..<created { pthread_join(threads[index], nil) }
        }
        let argument = Unmanaged.passUnretained(gate).toOpaque()  // `gate` outlives every thread: they are joined above
        while created < count {
            let result = pthread_create(&threads[created], &attributes, { argument in
                Unmanaged<ThreadGate>.fromOpaque(argument!).takeUnretainedValue().park()
                return nil
            }, argument)
            guard result == 0 else { throw SystemCallError("pthread_create(3) of thread \(created + 1)", code: result) }
            created += 1
        }
        gate.waitUntilParked(count)
        let after = try ProcSampler.current.exactResidentBytes()
        return Double(after - before) / Double(count)
    }
}

/// Holds threads parked until it opens, and tells how many have arrived.
// @unchecked Sendable: `parked` and `isOpen` are only touched with `mutex` locked.
final class ThreadGate: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let arrived = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let opened = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var parked = 0
    private var isOpen = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(arrived, nil)
        pthread_cond_init(opened, nil)
    }

    deinit {
        pthread_cond_destroy(opened)
        pthread_cond_destroy(arrived)
        pthread_mutex_destroy(mutex)
        opened.deallocate()
        arrived.deallocate()
        mutex.deallocate()
    }

    /// Called by a thread: count in, then sleep until the gate opens.
    func park() {
        pthread_mutex_lock(mutex)
        parked += 1
        pthread_cond_signal(arrived)
        while !isOpen { pthread_cond_wait(opened, mutex) }
        pthread_mutex_unlock(mutex)
    }

    func waitUntilParked(_ count: Int) {
        pthread_mutex_lock(mutex)
        while parked < count { pthread_cond_wait(arrived, mutex) }
        pthread_mutex_unlock(mutex)
    }

    func open() {
        pthread_mutex_lock(mutex)
        isOpen = true
        pthread_cond_broadcast(opened)
        pthread_mutex_unlock(mutex)
    }
}
