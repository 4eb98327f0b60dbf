// WorkerPool: threads that do the CPU work of messages, so the event loop never has to (Chapter 8).
//
// With `--offload N`, a loop that reads a message costing `--work` does not compute: it hands
// the work to this pool and goes back to epoll_wait, serving everyone else. A worker takes the
// job from a queue (a mutex and a condition variable), spends the CPU, and posts the job back
// to the loop that sent it: into that loop's `FinishedWork` list, and a write to the loop's
// eventfd, which is registered in the loop's epoll with the sockets. So the loop learns that
// work is done the way it learns anything, as a readable descriptor; it never blocks on a lock
// held for long, and it never waits for a worker. This is how libuv's work queue wakes its loop
// (`uv_queue_work`: a thread pool, and an async handle that is an eventfd on Linux).

import CLinux
import Glibc
import ServerCore

/// A connection, carried by a job through the worker and back.
// @unchecked Sendable: a worker never touches the connection; it only carries it back to the
// loop's thread, the only thread that ever reads or writes it.
struct ConnectionTicket: @unchecked Sendable {
    let connection: Connection
}

/// One connection's costly messages: the work of `messages` messages, then back to `finished`.
struct Job: Sendable {
    let messages: Int
    let ticket: ConnectionTicket
    let finished: FinishedWork
}

// snippet: finished-work
/// The jobs a loop's workers have finished, and the eventfd that tells the loop to look.
// @unchecked Sendable: `jobs` is only touched with `mutex` locked; `fd` is immutable.
final class FinishedWork: @unchecked Sendable {
    /// An eventfd: readable while workers have posted jobs the loop has not taken yet.
    let fd: Int32
    private var jobs: [Job] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() throws {
        fd = try retryingOnInterrupt("eventfd(2)") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        Glibc.close(fd)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Called by a worker: hands `job` back and wakes the loop. Only the job that finds the list
    /// empty writes to the eventfd: the others are in the list the loop has yet to take, since
    /// the loop reads the eventfd *before* it takes the list.
    func post(_ job: Job) {
        pthread_mutex_lock(mutex)
        let wasEmpty = jobs.isEmpty
        jobs.append(job)
        pthread_mutex_unlock(mutex)
        if wasEmpty { wakeEventDescriptor(fd) }  // the counter goes up; the loop's epoll_wait returns
    }

    /// Called by the loop when the eventfd is readable, after reading it: every job posted so far.
    func take() -> [Job] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let taken = jobs
        jobs.removeAll()
        return taken
    }
}
// end snippet

// @unchecked Sendable: `queue` and `closed` are only touched with `mutex` locked; the rest is immutable.
final class WorkerPool: @unchecked Sendable {
    private let work: CPUWork
    private var queue: [Job] = []
    private var queueStart = 0
    private var closed = false
    private var threads: [JoinableThread<Void>] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let jobWaiting = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Starts `count` workers that spend `work` per costly message.
    init(threads count: Int, work: CPUWork) throws {
        self.work = work
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(jobWaiting, nil)
        do {
            for _ in 0..<count {
                threads.append(try JoinableThread { [self] in runWorker() })
            }
        } catch {
            closeAndJoin()
            throw error
        }
    }

    deinit {
        pthread_cond_destroy(jobWaiting)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        jobWaiting.deallocate()
    }

    // snippet: submit
    /// Called by a loop: queues `job` for the next free worker. Holds the lock for an append.
    func submit(_ job: Job) {
        pthread_mutex_lock(mutex)
        queue.append(job)
        pthread_cond_signal(jobWaiting)
        pthread_mutex_unlock(mutex)
    }

    private func runWorker() {
        while let job = next() {
            work.spend(messages: job.messages)  // the CPU, on this thread, not the loop's
            job.finished.post(job)
        }
    }
    // end snippet

    /// The next job, waiting for one; nil once the pool is closed and its queue empty.
    private func next() -> Job? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while queueStart == queue.count && !closed { pthread_cond_wait(jobWaiting, mutex) }
        guard queueStart < queue.count else { return nil }
        let job = queue[queueStart]
        queueStart += 1
        if queueStart == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueStart = 0
        }
        return job
    }

    /// Lets the workers finish what is queued, then waits for them to end. Call once, after
    /// every loop has finished (no more submits).
    func closeAndJoin() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(jobWaiting)
        pthread_mutex_unlock(mutex)
        for thread in threads { thread.join() }
        threads.removeAll()
    }
}
