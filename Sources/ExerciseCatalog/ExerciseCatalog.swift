// ExerciseCatalog: the one list of exercises, shared by the exercise tests and `swift run Progress`.
//
// Each entry gives an exercise's id, title, stub file and hint, and nothing else holds those
// words: the tests put them in the message that skips an exercise the learner has not attempted
// yet, and Progress prints them when it says what to do next. An exercise counts as not attempted
// while its file still holds the marker line `// I AM NOT DONE` (the rustlings convention); the
// learner deletes the line to have the attempt checked.
//
// Adding an exercise: one entry below, a stub `exercises/<id>-<name>.swift` with the marker, a
// solution of the same file name in `exercises/solutions/`, a line in `exercises/README.md`, and a
// test function in `Tests/ExerciseTests` named `exercise<id with _>_<name>` carrying
// `.exercise("<id>")`.

import Glibc

/// One exercise: a stub the learner edits, a hint, and a test that checks it.
public struct Exercise: Sendable, Equatable {
    /// `"01-2"`: the chapter, then the exercise's number within it.
    public let id: String
    /// `"ByteTally"`: names the file and the test.
    public let name: String
    public let title: String
    public let hint: String

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
        8: "Chapter 8: work that is not I/O, and every core",
    ]

    /// Every exercise, in the order a learner should do them.
    public static let all: [Exercise] = [
        Exercise(
            id: "01-1", name: "ProtocolStep",
            title: "Write the protocol's step function",
            hint: """
                Switch on `state`. While waiting only `^` matters: it moves to .inMessage and earns no \
                reply. In a message `$` moves back to .waiting, again with no reply, and every other \
                byte b is answered with `b &+ 1` (the & makes 0xFF wrap to 0x00 instead of trapping).
                """),
        Exercise(
            id: "01-2", name: "ByteTally",
            title: "Serve one client and count the bytes",
            hint: """
                Send ProtocolMachine.greeting first and count it. Then loop: read into a buffer; 0 \
                means the client closed its side; feed what arrived to a ProtocolMachine and send its \
                replies with one writeAll, counting bytes both ways. Catch the SystemCallError and \
                keep it in the tally: a client that vanishes ends its own session, not the server.
                """),
        Exercise(
            id: "02-1", name: "DetachedThread",
            title: "Run a closure on a detached pthread",
            hint: """
                pthread_create's start routine is a C function pointer, which cannot capture, so the \
                closure travels in its void * argument: Unmanaged.passRetained(ClosureBox(body)).toOpaque(). \
                The start routine (a closure literal that captures nothing) takes it back with \
                takeRetainedValue() and calls run(). Ask for a detached thread with pthread_attr_t and \
                pthread_attr_setdetachstate, and release the box yourself if pthread_create fails.
                """),
        Exercise(
            id: "02-2", name: "Admission",
            title: "Refuse clients instead of queueing them",
            hint: """
                Keep a pthread_mutex_t in memory you allocate (UnsafeMutablePointer, pthread_mutex_init \
                in init, destroy and deallocate in deinit) and do tryAdmit's check and its increment \
                under one lock, or two threads can both see the last free place. refuse: writeAll the \
                message with try? (a client that has gone has nobody to tell), then close the socket.
                """),
        Exercise(
            id: "02-3", name: "IdleTimeout",
            title: "End a session that goes quiet",
            hint: """
                Give the socket a receive timeout before the loop: setsockopt(fd, SOL_SOCKET, \
                SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) with a timeval of idleSeconds. \
                A read that waits longer fails with EAGAIN, which Socket.read throws as a \
                SystemCallError: that is .idleTimeout. Every read waits afresh, so a client that keeps \
                talking never times out. (poll(2) with a timeout before each read works too.)
                """),
        Exercise(
            id: "03-1", name: "QueuePop",
            title: "Write BlockingQueue's pop",
            hint: """
                Mirror `push`. Lock the mutex and `defer` the unlock. While the queue is empty and not \
                closed, pthread_cond_wait(notEmpty, mutex): a `while`, not an `if`, because a wake-up \
                may find nothing to take. Then, if closed, return nil; otherwise removeFirst() and \
                pthread_cond_signal(notFull), so a producer waiting for room can go on.
                """),
        Exercise(
            id: "03-2", name: "QueueTimeout",
            title: "Turn away a client who waited too long",
            hint: """
                waited = now - client.acceptedAt. At most queueTimeout: return true and touch nothing. \
                Otherwise `try? client.socket.writeAll(Array(queueTimeoutMessage.utf8))` (the `try?` \
                because a client that has gone makes the write fail with EPIPE), then close the socket \
                and return false.
                """),
        Exercise(
            id: "03-3", name: "GrowingPool",
            title: "Grow the pool under load, up to a maximum",
            hint: """
                Lock the mutex and `defer` the unlock; if closed, return false. Append the job. Grow \
                when jobs.count > idle (more jobs waiting than workers free to take them) and \
                workers.count < maximum: `try? startWorker()`. Then pthread_cond_signal(jobWaiting) and \
                return true. Testing `idle == 0` instead lets two quick jobs share one idle worker.
                """),
        Exercise(
            id: "04-1", name: "PartialWrite",
            title: "Keep what the socket did not take",
            hint: """
                Loop: Glibc.write(fd, pointer to the first unwritten byte, count left). A positive \
                result may be short: count it and go round again. -1 with EAGAIN or EWOULDBLOCK means \
                the send buffer is full: stop, keep the rest, return false. EINTR: try again. Anything \
                else: throw SystemCallError("write(2)", code: errno). Drop what was written from \
                `bytes` (once, at the end, with removeFirst) and return true when nothing is left.
                """),
        Exercise(
            id: "04-2", name: "IdleList",
            title: "Find the idle connections",
            hint: """
                Every connection has the same timeout, so the least recently active one always \
                expires first: keep descriptors in order of last activity. A dictionary \
                [Int32: Entry] where an entry holds its last activity and its older and newer \
                neighbours, plus the oldest and newest descriptors, makes touch (remove, then append \
                at the newest end), remove, nextDeadline (oldest + timeout) and expire (pop from the \
                oldest end while its deadline is <= now) all O(1) per connection.
                """),
        Exercise(
            id: "04-3", name: "EdgeTriggered",
            title: "Read the edge-triggered way",
            hint: """
                Wrap the read in a loop. A positive count: append and read again. 0: the peer has \
                closed, return false. -1: EAGAIN or EWOULDBLOCK means the socket is drained, return \
                true; EINTR, read again; anything else, throw SystemCallError("read(2)", code: errno). \
                Only EAGAIN (or 0) proves no bytes are left behind for an edge that will not come again.
                """),
        Exercise(
            id: "05-1", name: "SleeperHeap",
            title: "The timer heap behind sleep(for:)",
            hint: """
                Keep an array of (deadline, arrival, id) with arrival counting up on every push. The \
                parent of index i is (i - 1) / 2, its children 2i + 1 and 2i + 2. push: append, then \
                swap with the parent while earlier (deadline first, then arrival). popDue: if the top's \
                deadline <= now, remember it, move the last entry to the top and swap it down with its \
                earliest child while that child is earlier.
                """),
        Exercise(
            id: "05-2", name: "GreenSemaphore",
            title: "A counting semaphore for green threads",
            hint: """
                Everything under mutex.withLock. wait: while permits == 0, available.wait(mutex, \
                timeout: what is left of the timeout) — compute the deadline once, before the loop; \
                a timedOut error means return false. Then permits -= 1 and return true. signal: \
                permits += 1 and available.signal().
                """),
        Exercise(
            id: "05-3", name: "GreenLoadClient",
            title: "A load generator on green threads",
            hint: """
                For each client, Scheduler.spawn a closure that runs one session and adds 1 to a \
                counter if it went right (no lock: green threads switch only in blocking calls); \
                keep the handles and join them all. A session: GreenSocket.connect(host: \
                "127.0.0.1", port:, timeout:), read until you have the 1-byte greeting, then for \
                each chunk write it and read until you have reply.utf8.count bytes; compare; close. \
                Use try? so one failed client cannot end the others.
                """),
        Exercise(
            id: "08-1", name: "WorkMailbox",
            title: "Hand finished work back to an event loop through an eventfd",
            hint: """
                post: lock the mutex, append, unlock, then write(fd, &one, 8) with a UInt64 one: the \
                eventfd's counter goes up and the loop's epoll_wait returns. take: first read(fd, \
                &count, 8) into a UInt64, which resets the counter (EAGAIN if it was 0 is fine), so \
                a level-triggered epoll stops reporting it; then, under the mutex, swap the array out. \
                Reading before taking matters: a post between the two is then found by this take or \
                wakes the loop again, never lost.
                """),
        Exercise(
            id: "08-2", name: "Acceptor",
            title: "Spread connections over event loops without SO_REUSEPORT",
            hint: """
                A for loop over 0..<count: `let (client, _) = try listener.accept()`, then \
                inboxes[index % inboxes.count].post(client.fd). Do not close the client: the loop \
                that receives the descriptor owns it from then on.
                """),
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

    /// What a test run says about an exercise the learner has not attempted: the file to edit,
    /// how to have it checked, and the hint.
    public var notAttemptedMessage: String {
        "\(id) \(title): not attempted yet. Edit \(relativePath(in: .stubs)) and delete its line "
            + "\(ExerciseCatalog.marker) when you want it checked. Hint: \(hint)"
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
