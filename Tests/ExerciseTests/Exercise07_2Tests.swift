// Exercise 07-2's test: `JobQueue` runs the jobs of the tasks that prefer it, in order, on the
// thread that calls `runAll`.
//
// Two tasks each record a line, yield, and record another. Yielding gives the executor back the
// task's next job, so a first-in-first-out queue interleaves them: A1 B1 A2 B2. Nothing may run
// before `runAll`, and everything must run on the calling thread.

@testable import Exercises
import Glibc
import Testing

/// Lines recorded by the tasks, with the thread each ran on.
private final class Record: @unchecked Sendable {  // @unchecked: `lines` is guarded by `lock`
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var lines: [(String, pthread_t)] = []
    init() { pthread_mutex_init(lock, nil) }
    func add(_ line: String) {
        pthread_mutex_lock(lock)
        lines.append((line, pthread_self()))
        pthread_mutex_unlock(lock)
    }
    var all: [(String, pthread_t)] {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return lines
    }
}

@Test(.exercise("07-2"))
func exercise07_2_JobQueue() throws {
    let queue = JobQueue()
    let record = Record()
    for name in ["A", "B"] {
        Task(executorPreference: queue) {
            record.add("\(name)1")
            await Task.yield()  // back to the end of the queue
            record.add("\(name)2")
        }
    }
    pause(seconds: 0.05)
    #expect(record.all.isEmpty, "a task preferring JobQueue must not run before runAll: enqueue only keeps the job")

    let ran = queue.runAll()
    let lines = record.all
    #expect(lines.map(\.0) == ["A1", "B1", "A2", "B2"], "oldest job first, and a yielded task's next job goes to the back")
    // At least the two halves of each task; the runtime may add jobs of its own (6 here).
    #expect(ran >= 4, "each task needs at least two jobs, before and after its yield; runAll counted \(ran)")
    #expect(lines.allSatisfy { pthread_equal($0.1, pthread_self()) != 0 }, "every job runs on the thread that called runAll")
    #expect(queue.runAll() == 0, "nothing left to run")
}
