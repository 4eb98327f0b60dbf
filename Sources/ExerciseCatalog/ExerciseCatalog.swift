// ExerciseCatalog: the one list of exercises, shared by the exercise tests and `swift run Progress`.
//
// Each entry gives an exercise's id, title, stub file and hints, and nothing else holds those
// words: the tests name the exercise, its file and the hint command in the one line that skips an
// exercise the learner has not attempted yet, and Progress prints the hints, one step at a time,
// on demand (`swift run Progress hint <id>`). An exercise counts as not attempted while its file
// still holds the marker line `// I AM NOT DONE` (the rustlings convention); the learner deletes
// the line to have the attempt checked.
//
// Adding an exercise: one entry below (its hints as two to four steps), a stub
// `exercises/<id>-<name>.swift` with the marker, a solution of the same file name in
// `exercises/solutions/`, a line in `exercises/README.md`, and a test function in
// `Tests/ExerciseTests` named `exercise<id with _>_<name>` carrying `.exercise("<id>")`.

import Glibc

/// One exercise: a stub the learner edits, a hint in steps, and a test that checks it.
public struct Exercise: Sendable, Equatable {
    /// `"01-2"`: the chapter, then the exercise's number within it.
    public let id: String
    /// `"ByteTally"`: names the file and the test.
    public let name: String
    public let title: String
    /// The hint, in steps: the idea first, then the detail; never the whole answer.
    public let hints: [String]

    public init(id: String, name: String, title: String, hints: [String]) {
        self.id = id
        self.name = name
        self.title = title
        self.hints = hints
    }

    /// The chapter this exercise belongs to, read from its id.
    public var chapter: Int { Int(id.prefix(2)) ?? 0 }

    /// `01-2-ByteTally.swift`, the same in `exercises/` and `exercises/solutions/`.
    public var fileName: String { "\(id)-\(name).swift" }

    /// The test function that checks this exercise, e.g. `exercise01_2_ByteTally`, which is
    /// also what `swift test --filter` selects it by.
    public var testName: String {
        "exercise" + String(id.map { $0 == "-" ? "_" : $0 }) + "_" + name
    }
}

/// Which copy of the exercises a build compiles: the learner's stubs or the reference solutions.
public enum ExerciseFolder: Sendable {
    case stubs
    case solutions

    /// The folder relative to the package root.
    public var path: String {
        switch self {
        case .stubs: "exercises"
        case .solutions: "exercises/solutions"
        }
    }

    /// The folder `Package.swift` compiles for this process's environment (`EXERCISES=solutions`).
    public static var fromEnvironment: ExerciseFolder {
        guard let value = getenv("EXERCISES") else { return .stubs }
        return String(cString: value) == "solutions" ? .solutions : .stubs
    }
}

public enum ExerciseCatalog {
    /// The line that marks an exercise as not attempted. Delete it to have the exercise checked.
    public static let marker = "// I AM NOT DONE"

    /// Chapter titles, for grouping the list.
    public static let chapters: [Int: String] = [
        1: "Chapter 1: one client at a time",
        2: "Chapter 2: a thread per client",
        3: "Chapter 3: a pool of threads",
        4: "Chapter 4: one thread for everyone, an epoll event loop",
        5: "Chapter 5: green threads",
        6: "Chapter 6: measuring",
        7: "Chapter 7: async/await on an executor of our own, and SwiftNIO",
        8: "Chapter 8: work that is not I/O, and every core",
    ]

    /// Every exercise, in the order a learner should do them.
    ///
    /// An entry: `Exercise(id:name:title:hints:)`. The hints are steps, shown one at a time by
    /// `swift run Progress hint <id>`: the idea first, then the detail, and at most the shape of
    /// the code in the last step, never the whole answer.
    public static let all: [Exercise] = [
        Exercise(
            id: "01-1", name: "EscapedStep",
            title: "A step function with an escape byte",
            hints: [
                """
                The machine now has three states, not two: waiting, in a message, and "in a message, \
                right after a backslash". The state is all the machine remembers between two bytes, \
                so a message split across reads still works.
                """,
                """
                In the escaped state every byte, even `$` or another backslash, is an ordinary byte of \
                the message: it earns byte &+ 1 and the machine goes back to plain "in a message". The \
                backslash that starts an escape earns nothing. Outside a message a backslash is \
                ignored like any other byte.
                """,
                """
                Shape: `switch state { case .waiting: ... case .inMessage: ... case .escaped: ... }`, \
                each case deciding the next state and returning a reply byte or nil.
                """,
            ]),
        Exercise(
            id: "01-2", name: "ByteTally",
            title: "Serve one client and count the bytes",
            hints: [
                """
                A sequential server's session is a loop: read what arrived, feed it to a \
                ProtocolMachine, send back what the machine answered. The tally only adds counting \
                around those three steps, and the session ends in one of two ways: the client \
                closed its side, or a read or write failed.
                """,
                """
                The greeting counts as bytes out. A read returning 0 means the client closed its \
                side. Socket's read and writeAll throw SystemCallError: catch it and keep it in the \
                tally, so a client that vanishes ends its own session, never the server.
                """,
                """
                Shape: `do { write greeting; while true { let n = read; if n == 0 break; feed; \
                writeAll replies; count } } catch let error as SystemCallError { tally.failure = error }`.
                """,
            ]),
        Exercise(
            id: "02-1", name: "ThreadResult",
            title: "A thread's result through pthread_join",
            hints: [
                """
                A pointer crosses pthread in both directions: the start routine's argument carries the \
                work in, and the start routine's return value, which pthread_join hands to the joiner, \
                can carry the result out. Both are untyped pointers, so both must be boxed objects \
                retained by hand while no Swift variable owns them.
                """,
                """
                The start routine must not capture anything, not even the generic Value: that is why \
                ThreadStart's closure returns an untyped pointer. Wrap `body` in a ThreadStart whose \
                closure boxes the result in a ResultBox and returns it retained (passRetained). On \
                the other side, pthread_join(thread, &pointer) receives that pointer; take it back \
                with takeRetainedValue so the box is freed once read.
                """,
                """
                Leave the thread joinable (the default attributes). If pthread_create fails, release \
                the ThreadStart you retained for it and throw SystemCallError("pthread_create(3)", \
                code: result): pthread_create returns the error, it does not set errno.
                """,
            ]),
        Exercise(
            id: "02-2", name: "Admission",
            title: "Refuse clients instead of queueing them",
            hints: [
                """
                Many client threads call tryAdmit at once. The check "fewer than limit?" and the \
                increment must happen as one step, or two threads can both see the last free place. \
                A pthread mutex makes them one step.
                """,
                """
                A pthread_mutex_t must never move, so it lives in memory you allocate once \
                (UnsafeMutablePointer), initialised in init and destroyed and deallocated in deinit. \
                Read `count` under the lock too.
                """,
                """
                refuse: a client that has already gone cannot be told anything, and that is not an \
                error worth reporting: write the message without letting a failure escape, then close.
                """,
            ]),
        Exercise(
            id: "02-3", name: "IdleTimeout",
            title: "End a session that goes quiet",
            hints: [
                """
                A blocking read waits forever unless something bounds it. The kernel can bound every \
                read on a socket for you: a receive timeout, set once before the session starts.
                """,
                """
                The socket option is SO_RCVTIMEO at level SOL_SOCKET, with a timeval. A read that \
                waits longer fails with EAGAIN, which Socket.read throws as a SystemCallError: that \
                one failure is the idle timeout, every other one is `.failed`.
                """,
                """
                Each read waits afresh, so a client that keeps talking never times out. (poll(2) with \
                a timeout before each read would work too.)
                """,
            ]),
        Exercise(
            id: "03-1", name: "BatchPop",
            title: "Take a batch from the BlockingQueue",
            hints: [
                """
                Same discipline as pop: wait while there is nothing to take, re-checking after every \
                wake-up, and tell producers when you have made room. The difference is how much room \
                you make, and how many producers may be waiting for it.
                """,
                """
                pthread_cond_signal wakes at most one waiting producer. Taking several items frees \
                several places, so every producer that could now push must be woken: signalling once \
                leaves the others asleep next to free room.
                """,
                """
                Shape: lock and defer the unlock; `while items.isEmpty && !closed { wait(notEmpty) }`; \
                if closed return []; take up to maxCount from the front; wake every producer waiting \
                on notFull.
                """,
            ]),
        Exercise(
            id: "03-2", name: "QueueTimeout",
            title: "Turn away a client who waited too long",
            hints: [
                """
                The client carries the moment it was accepted; the worker knows the moment it took \
                it. The difference is how long the client waited in the queue, and that is all the \
                decision needs.
                """,
                """
                A client that waited too long gets one line telling it why, then the connection \
                closes. It may have given up and gone already: a write that fails (EPIPE) is expected \
                and must not escape. A client that did not wait too long is left untouched.
                """,
            ]),
        Exercise(
            id: "03-3", name: "GrowingPool",
            title: "Grow the pool under load, up to a maximum",
            hints: [
                """
                Grow when the work waiting outnumbers the workers free to take it, and never past \
                the ceiling. Everything happens with the mutex locked, so the counts cannot change \
                under you.
                """,
                """
                The trap: a worker that has been woken but has not yet taken its job still counts as \
                idle. Compare the number of queued jobs with the number of idle workers, not \
                `idle == 0`, or two quick jobs end up sharing one idle worker.
                """,
                """
                Shape: lock, defer the unlock; refuse if closed; append the job; grow when the \
                comparison above says so and there is room under the maximum (a worker that fails \
                to start is not fatal: the job waits for an existing one); wake one worker.
                """,
            ]),
        Exercise(
            id: "04-1", name: "GatherWrite",
            title: "Keep what writev did not take",
            hints: [
                """
                A non-blocking write takes what fits and says how much. Whatever it did not take \
                stays queued, in order, for the next time epoll says the socket is writable. writev \
                is the same, with the bytes spread over several chunks: the count it returns can end \
                anywhere, even in the middle of a chunk.
                """,
                """
                After a writev of n bytes: drop the chunks n covers entirely, then trim the first \
                remaining chunk by what is left of n. Loop while chunks remain. -1 with EAGAIN or \
                EWOULDBLOCK means "not now" (return false, keep everything); EINTR means try again; \
                anything else is thrown.
                """,
                """
                One writev takes at most maxChunksPerWrite chunks: pass a prefix of the list, and \
                let the loop come round for the rest. The stub's withIOVecs turns the chunks into \
                the iovec array writev wants.
                """,
            ]),
        Exercise(
            id: "04-2", name: "TwoTimeouts",
            title: "Two idle limits, still O(1)",
            hints: [
                """
                With one timeout for everyone, the connection that expires first is always the one \
                active least recently: a list in order of last activity answers every question from \
                its oldest end. With two timeouts, that holds within each group of connections that \
                share a limit.
                """,
                """
                Keep two such lists: one for connections that have not sent anything yet, one for \
                those that have. A connection moves from the first to the second on its first \
                activity. The next deadline is the earlier of the two lists' oldest deadlines; \
                expiring drains both from their oldest ends.
                """,
                """
                Each list can be an O(1) structure: a dictionary from descriptor to an entry holding \
                its deadline and its older and newer neighbours, plus the oldest and newest \
                descriptors. Write it once as a small struct and use it twice. A descriptor lives \
                in one list at a time: opening or activity first removes it from the other.
                """,
            ]),
        Exercise(
            id: "04-3", name: "EdgeTriggered",
            title: "Read the edge-triggered way",
            hints: [
                """
                Edge-triggered epoll reports a socket once per arrival, not once per wait while data \
                is there. Bytes left unread after the handler returns may never be reported again.
                """,
                """
                So read until the kernel says there is nothing left: EAGAIN (or EWOULDBLOCK). A \
                positive count means read again; 0 means the peer has closed; EINTR means retry; \
                anything else is a failure to throw.
                """,
            ]),
        Exercise(
            id: "04-4", name: "EventLoop",
            title: "Register and dispatch with epoll",
            hints: [
                """
                An event loop keeps two tables: the kernel's interest list (which descriptors, which \
                events), changed with epoll_ctl, and its own table from descriptor to handler. \
                epoll_wait returns ready descriptors; the loop looks each one up and calls its handler.
                """,
                """
                epoll_create1(EPOLL_CLOEXEC) makes the instance. register: remember the handler, \
                then EPOLL_CTL_ADD an epoll_event whose data carries the descriptor \
                (epoll_data_t(fd:)), so a ready event says whose it is. change: EPOLL_CTL_MOD. \
                unregister: EPOLL_CTL_DEL and forget the handler.
                """,
                """
                A handler may unregister another descriptor whose event is in the same batch: look \
                the handler up when you reach each event, not before the batch, and skip events whose \
                descriptor is no longer registered. epoll_wait failing with EINTR means zero events, \
                not an error.
                """,
            ]),
        Exercise(
            id: "05-1", name: "SleeperHeap",
            title: "The timer heap behind sleep(for:)",
            hints: [
                """
                Sleeps have different lengths, so the next to wake is not the oldest: a binary \
                min-heap keeps the earliest deadline at the top, with O(log n) push and pop. Ties \
                are broken by an arrival number that counts up on every push.
                """,
                """
                In an array, the parent of index i is (i - 1) / 2 and its children are 2i + 1 and \
                2i + 2. push appends and moves the new entry up while it is earlier than its parent. \
                popDue takes the top only if its deadline is <= now.
                """,
                """
                To remove the top: move the last entry there and move it down, swapping with the \
                earlier of its children while that child is earlier than it.
                """,
            ]),
        Exercise(
            id: "05-2", name: "GreenSemaphore",
            title: "A counting semaphore for green threads",
            hints: [
                """
                A semaphore is a count and a condition: wait while the count is zero, take one; \
                give one back and wake a waiter. GreenMutex and GreenCondition work like their \
                pthread cousins, on green threads.
                """,
                """
                Do everything under mutex.withLock. Wait on the condition in a while loop. For the \
                timeout, compute one deadline before the loop and pass each wait what is left of it: \
                a wake-up that finds no permit must not restart the clock.
                """,
                """
                The condition's wait throws GreenThreadError.timedOut when time runs out: that is \
                the `false` answer.
                """,
            ]),
        Exercise(
            id: "05-3", name: "GreenLoadClient",
            title: "A load generator on green threads",
            hints: [
                """
                On green threads each client can be written as a plain story: connect, read the \
                greeting, then for each chunk write it and read its reply. Many such stories run \
                at once on one kernel thread, each as its own green thread.
                """,
                """
                Scheduler.spawn a closure per client, keep the handles and join them all. Green \
                threads switch only inside calls into the runtime, so a plain counter of \
                successes needs no lock.
                """,
                """
                GreenSocket.connect(host: "127.0.0.1", port:, timeout:). A read may return fewer \
                bytes than the reply: read until you have them all. Use try? (or catch) so one \
                failed client does not end the others.
                """,
            ]),
        Exercise(
            id: "05-4", name: "GreenWrite",
            title: "A blocking write on green threads",
            hints: [
                """
                A green call looks blocking to its caller but never blocks the kernel thread: try \
                the system call on the non-blocking descriptor; if the kernel says "not now", park \
                this green thread until the descriptor is ready, then try again.
                """,
                """
                write may take only part of the bytes: keep an offset and loop until it reaches the \
                end. -1 with EAGAIN or EWOULDBLOCK: Scheduler.waitUntilWritable(fd, timeout:), which \
                lets the other green threads run and returns once epoll reports room. EINTR: retry. \
                Anything else: throw SystemCallError("write(2)", code: errno).
                """,
                """
                Do not spin, not even with Scheduler.yield(), on EAGAIN: a runnable green thread \
                keeps the kernel thread from ever sleeping in epoll_wait, and the test counts \
                those sleeps.
                """,
            ]),
        Exercise(
            id: "06-1", name: "LittlesLaw",
            title: "Predict latency and load with Little's law",
            hints: [
                """
                Little's law: the average number of requests in a system equals their arrival rate \
                times the average time each spends in it, L = λ × W. In Bench's closed loop every \
                client always has exactly one message in flight, so L is the number of clients.
                """,
                """
                Solve the same equation for whichever quantity is asked: W from L and λ, L from λ \
                and W. Mind the units: rates are per second, times in seconds.
                """,
                """
                A client that thinks between messages is "in the system" only part of the time: \
                each client's cycle is its wait for the reply plus its think time, and all N \
                clients together complete N cycles per cycle length.
                """,
            ]),
        Exercise(
            id: "07-1", name: "ReadExactly",
            title: "A read that suspends the task, not the thread",
            hints: [
                """
                An async read looks like a blocking one to its caller, but only the task waits: \
                try read(2) on the non-blocking descriptor, and when the kernel says "not now", \
                suspend the task until the executor's epoll reports the descriptor readable, then \
                try again. The kernel thread goes on running other tasks meanwhile.
                """,
                """
                A read may return fewer bytes than you asked for: keep a count of what has arrived \
                and loop until you have them all. Zero means the peer closed (throw EndOfStream \
                with what did arrive); -1 with EINTR means try again; with EAGAIN or EWOULDBLOCK, \
                await the waiter's waitUntilReadable(fd); anything else is a SystemCallError.
                """,
            ]),
        Exercise(
            id: "07-2", name: "JobQueue",
            title: "An executor is a queue of jobs",
            hints: [
                """
                A task executor does not run tasks, it runs jobs: each piece of a task between \
                two suspension points arrives through enqueue. Keep them in a first-in first-out \
                queue, and run them one at a time on the executor's thread.
                """,
                """
                enqueue may be called from any thread: guard the queue with the mutex, and keep \
                the job as an UnownedJob. To run one, take it out with the mutex held, then run it \
                with the mutex released: running a job can enqueue another (a yield does).
                """,
                """
                The shape of runAll: a loop that takes the next job (or stops when there is none) \
                and calls job.runSynchronously(on: asUnownedTaskExecutor()), counting each one.
                """,
            ]),
        Exercise(
            id: "08-1", name: "GreenOffload",
            title: "Offload work from a green thread",
            hints: [
                """
                The stub's comment is the plan; here it is as steps. Make the eventfd. Start a \
                JoinableThread whose closure runs `work`, then wakes the eventfd (the last thing it \
                does with it), then returns the result. Then read the eventfd with \
                drainEventDescriptor: 0 means the worker has not written yet, so park with \
                Scheduler.waitUntilReadable and read again. Never wait any other way: a join or a \
                blocking read stops every green thread of the scheduler.
                """,
                """
                Who waits for whom: the worker writes the eventfd once the work is done; the green \
                thread parks on the eventfd, and joins the worker only after it has read a count \
                above 0, when the worker is already returning and the join is over in microseconds. \
                Join it first, and the whole scheduler waits for as long as the work takes.
                """,
                """
                Before closing the eventfd, call Scheduler.forgetDescriptor on it, or the scheduler \
                believes the next descriptor to get that number is already in its epoll and never \
                watches it. And never close it while the worker may still write to it: if the wait \
                throws, join the worker first, then rethrow. A defer closes it on every path.
                """,
            ]),
        Exercise(
            id: "08-2", name: "Acceptor",
            title: "Spread connections without SO_REUSEPORT",
            hints: [
                """
                Without SO_REUSEPORT there is one listening socket, so one thread accepts every \
                connection and hands each descriptor to a loop, which from then on owns it.
                """,
                """
                Accept `count` clients in turn and post each descriptor to the inbox of the next \
                loop, round robin (the index modulo the number of inboxes). Do not close what you \
                hand over.
                """,
            ]),
    ]

    /// The exercise with this id, e.g. `"01-2"`.
    public static func exercise(id: String) -> Exercise? {
        all.first { $0.id == id }
    }

    /// The package's root folder, found from this source file's path
    /// (`Sources/ExerciseCatalog/ExerciseCatalog.swift`), so tests and tools work from any directory.
    public static let packageRoot: String = {
        var path = #filePath
        for _ in 0..<3 {
            guard let slash = path.lastIndex(of: "/") else { return "." }
            path = String(path[..<slash])
        }
        return path
    }()
}

extension Exercise {
    /// The exercise's file relative to the package root, e.g. `exercises/01-2-ByteTally.swift`.
    public func relativePath(in folder: ExerciseFolder) -> String {
        "\(folder.path)/\(fileName)"
    }

    /// The exercise's file as an absolute path.
    public func absolutePath(in folder: ExerciseFolder) -> String {
        "\(ExerciseCatalog.packageRoot)/\(relativePath(in: folder))"
    }

    /// Whether the file still holds the marker line; `nil` if the file cannot be read.
    public func isMarkedNotDone(in folder: ExerciseFolder) -> Bool? {
        guard let text = readTextFile(atPath: absolutePath(in: folder)) else { return nil }
        // "\r\n" is one Character in Swift, so a file saved with Windows line endings splits too.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        return lines.contains { $0.trimmingBlanks() == ExerciseCatalog.marker }
    }

    /// The command that shows this exercise's hints, one step at a time.
    public var hintCommand: String { "swift run Progress hint \(id)" }

    /// What a test run says about an exercise the learner has not attempted, on one short line:
    /// the exercise, the file to edit and how to get a hint.
    public var notAttemptedMessage: String {
        "\(id) \(title): not attempted; edit \(relativePath(in: .stubs)), hint: \(hintCommand)"
    }
}

/// The contents of a text file, or `nil` if it cannot be opened or read.
public func readTextFile(atPath path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count < 0 { return nil }
        if count == 0 { break }
        bytes += chunk[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

extension Substring {
    /// The line without leading and trailing spaces and tabs.
    func trimmingBlanks() -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
