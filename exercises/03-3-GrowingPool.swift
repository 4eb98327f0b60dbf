// Exercise 03-3: grow the pool under load, up to a maximum.
//
// Part 3's pool has a fixed number of workers: too few and clients queue while the machine idles,
// too many and the threads cost memory for nothing. A middle way starts small and adds a worker
// whenever work is waiting and no worker is free, up to a ceiling. The pool below is complete
// except for `submit`, which is where that decision belongs.
//
// The catch is in "no worker is free". `idle` counts the workers waiting for a job; but a worker
// that has been woken for a job has not taken it yet, so for a moment it still counts as idle.
// Two jobs submitted back to back must not both count on the same idle worker.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise03_3`). Stuck? `swift run Progress hint 03-3`.

// I AM NOT DONE

import Glibc
import ServerCore

/// A pool of worker threads that starts with `minimum` and grows, while jobs are waiting and no
/// worker is free, up to `maximum`. It never shrinks; `shutDown` ends it.
// @unchecked Sendable: `jobs`, `idle`, `workers` and `closed` are only touched with `mutex` locked.
final class GrowingPool: @unchecked Sendable {
    let minimum: Int
    let maximum: Int
    private var jobs: [@Sendable () -> Void] = []
    /// Workers waiting for a job, or just started and about to wait for one.
    private var idle = 0
    private var workers: [JoinableThread<Void>] = []
    private var closed = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let jobWaiting = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(minimum: Int, maximum: Int) throws {
        precondition(1 <= minimum && minimum <= maximum, "need 1 <= minimum <= maximum")
        self.minimum = minimum
        self.maximum = maximum
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(jobWaiting, nil)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        for _ in 0..<minimum { try startWorker() }
    }

    deinit {
        pthread_cond_destroy(jobWaiting)
        pthread_mutex_destroy(mutex)
        jobWaiting.deallocate()
        mutex.deallocate()
    }

    /// Worker threads started so far.
    var threadCount: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return workers.count
    }

    /// Queues `job` for a worker and returns true; returns false, without queueing it, once the
    /// pool is shut down. If more jobs are waiting than there are idle workers, and fewer than
    /// `maximum` workers exist, starts one more worker first (if the system refuses a thread, the
    /// job still waits for an existing worker).
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        // TODO: with the mutex locked: refuse if closed; append the job; grow if the jobs
        // waiting outnumber the idle workers and there is room to grow; wake one worker.
        return false
    }

    /// Stops taking jobs, lets the workers finish the jobs already queued, and joins them all.
    func shutDown() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(jobWaiting)
        let everyone = workers
        pthread_mutex_unlock(mutex)
        for worker in everyone { worker.join() }
    }

    /// Starts one more worker, counted as idle until it takes a job. Call with `mutex` locked.
    private func startWorker() throws {
        let worker = try JoinableThread { [self] in work() }
        workers.append(worker)
        idle += 1
    }

    /// What every worker runs: take the next job, run it without the lock, repeat until closed
    /// and nothing is left.
    private func work() {
        pthread_mutex_lock(mutex)
        while true {
            while jobs.isEmpty && !closed { pthread_cond_wait(jobWaiting, mutex) }
            if jobs.isEmpty { break }  // closed, and nothing left to do
            let job = jobs.removeFirst()
            idle -= 1
            pthread_mutex_unlock(mutex)
            job()
            pthread_mutex_lock(mutex)
            idle += 1
        }
        idle -= 1
        pthread_mutex_unlock(mutex)
    }
}
