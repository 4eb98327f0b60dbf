// Exercise 07-2, reference solution: an executor is a queue of jobs.

import Glibc

// @unchecked Sendable: `queue` is only touched with `mutex` locked.
final class JobQueue: TaskExecutor, @unchecked Sendable {
    private var queue: [UnownedJob] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Called by the runtime for each job of a task that prefers this executor.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        queue.append(job)
        pthread_mutex_unlock(mutex)
    }

    /// Runs every queued job, oldest first, on the calling thread, until the queue is empty.
    /// Run a job with `job.runSynchronously(on: asUnownedTaskExecutor())`. Returns how many ran.
    @discardableResult
    func runAll() -> Int {
        var ran = 0
        while true {
            pthread_mutex_lock(mutex)
            let next = queue.isEmpty ? nil : queue.removeFirst()
            pthread_mutex_unlock(mutex)
            guard let next else { return ran }
            next.runSynchronously(on: asUnownedTaskExecutor())  // the mutex is free: the job may enqueue
            ran += 1
        }
    }
}
