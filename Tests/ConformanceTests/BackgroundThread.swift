// BackgroundThread: a blocking job on a pthread of its own, e.g. sending a megabyte while the
// test reads the replies. A real thread, not a Task: Swift Testing runs tests on the small
// cooperative pool (one thread per core), and a task waiting behind blocked test threads could
// never start. The thread is ServerCore's `JoinableThread`, the one pthread-closure wrapper.

import ServerCore

/// A job running on its own thread; `join()` waits for it and rethrows what it threw.
final class BackgroundThread: Sendable {
    private let thread: JoinableThread<Result<Void, any Error>>

    /// Starts `body` at once.
    init(_ body: @escaping @Sendable () throws -> Void) throws {
        thread = try JoinableThread { Result { try body() } }
    }

    /// Waits for the job to finish and rethrows the error it threw, if any. Call it exactly once.
    func join() throws {
        try thread.join().get()
    }
}
