// Exercise 07-2: an executor is a queue of jobs.
//
// Chapter 7's EventLoopExecutor is a scheduler: the Swift runtime hands it a job each time a task
// that prefers it has something to do (it was created, or the continuation it waited on was
// resumed, or it called `Task.yield()`), and a loop runs those jobs one after another on one
// thread. Strip away epoll and what remains is this exercise: `enqueue` keeps the job; `runAll()`
// runs queued jobs on the calling thread, oldest first, until none is left — including the jobs
// that running a job enqueues (a task that yields comes straight back to the end of the queue).
//
// `enqueue` may be called from any thread, so guard the queue with `mutex`; but never hold the
// mutex while a job runs (the job may enqueue, and would wait for itself).
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise07_2`). Stuck? `swift run Progress hint 07-2`.

// I AM NOT DONE

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
        // TODO: keep UnownedJob(job) at the end of the queue.
    }

    /// Runs every queued job, oldest first, on the calling thread, until the queue is empty.
    /// Run a job with `job.runSynchronously(on: asUnownedTaskExecutor())`. Returns how many ran.
    @discardableResult
    func runAll() -> Int {
        // TODO: take the oldest job out (with the mutex held), run it (without), repeat.
        return 0
    }
}
