// TokenHandoff: two pthreads passing a token back and forth through a mutex and a condition
// variable — the price of one kernel thread waking another.
//
// This is what a thread pool pays to hand a client from the accepting thread to a worker, and
// what every blocking server pays when one thread's progress waits on another's. Each handoff
// is a signal, a sleep, a wake-up and (on a busy machine) a trip through the scheduler: a few
// microseconds, against the few nanoseconds of the green threads' switch in Chapter 5.

import Glibc
import ServerCore

// @unchecked Sendable: `turn` is only read and written with `mutex` locked.
final class TokenHandoff: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Whose turn it is: 0 the main thread's, 1 the responder's.
    private var turn = 0
    private var rounds = 0

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    // snippet: handoff
    /// Passes the token to a second thread and back `rounds` times; returns nanoseconds per
    /// handoff (two per round).
    func run(rounds: Int) throws -> Double {
        self.rounds = rounds
        var responder = pthread_t()
        let result = pthread_create(&responder, nil, { argument in
            Unmanaged<TokenHandoff>.fromOpaque(argument!).takeUnretainedValue().respond()
            return nil
        }, Unmanaged.passUnretained(self).toOpaque())  // joined below, so `self` outlives it
        guard result == 0 else { throw SystemCallError("pthread_create(3)", code: result) }
        let started = MonotonicClock.nanosecondsNow()
        pthread_mutex_lock(mutex)
        for _ in 0..<rounds {
            turn = 1
            pthread_cond_signal(changed)
            while turn != 0 { pthread_cond_wait(changed, mutex) }  // sleep until it is ours again
        }
        pthread_mutex_unlock(mutex)
        let elapsed = MonotonicClock.nanosecondsNow() - started
        pthread_join(responder, nil)
        return Double(elapsed) / Double(2 * rounds)
    }

    /// The second thread: wait for the token, give it back.
    private func respond() {
        pthread_mutex_lock(mutex)
        for _ in 0..<rounds {
            while turn != 1 { pthread_cond_wait(changed, mutex) }
            turn = 0
            pthread_cond_signal(changed)
        }
        pthread_mutex_unlock(mutex)
    }
    // end snippet
}
