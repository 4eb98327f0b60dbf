// ThreadRecord: everything the scheduler knows about one green thread, kept at the top of the
// thread's own stack.
//
// A green thread is a stack plus this record. The record is plain memory reached through an
// `UnsafeMutablePointer`, never a Swift class: the scheduler reads and writes it on every switch,
// and a class would add reference counting and dynamic exclusivity checks to each of those
// accesses (and a heap allocation to each spawn). Living at the top of the stack mapping, it
// costs no memory of its own: the page it sits on is the one the thread's first frames use.
//
// Queues are intrusive: a thread waits in at most one queue at a time (the run queue, a mutex's,
// a condition's, a joiner list), so one `next` link per record is enough and enqueueing never
// allocates.

/// A green thread's record, as the scheduler passes it around.
typealias ThreadPointer = UnsafeMutablePointer<ThreadRecord>

/// What a blocked thread is waiting for, so a timeout or an interrupt can take it back out.
enum BlockReason {
    case notBlocked
    case sleeping
    case readable(fd: Int32)
    case writable(fd: Int32)
    case condition(UnsafeMutablePointer<ThreadQueue>)
    case mutex
    case join

    /// Whether `interrupt()` may wake a thread blocked this way. Mutexes and joins are not
    /// interruptible: a lock that can fail would make every critical section handle an error.
    var isInterruptible: Bool {
        switch self {
        case .sleeping, .readable, .writable, .condition: true
        case .notBlocked, .mutex, .join: false
        }
    }
}

/// Why a blocked thread was made runnable again.
enum WakeReason {
    case ready        // the event it waited for happened (timer due, descriptor ready, signalled)
    case timedOut     // its deadline passed first
    case interrupted  // another thread called interrupt()
}

struct ThreadRecord {
    // The first two fields are read by address on every switch; `Scheduler.checkLayout` verifies
    // that they sit at offsets 0 and 8.

    /// The stack pointer `cs_switch` stored when the thread last switched away.
    var savedStackPointer: UnsafeMutableRawPointer?
    /// The thread's own list of in-progress Swift accesses while it is switched out (the two-word
    /// buffer `swift_task_exitThreadLocalContext` fills and `enter...` empties).
    var exclusivity: (UInt, UInt) = (0, 0)

    /// Link in whichever queue the thread is in.
    var next: ThreadPointer?
    /// Unique per spawn (never reused by one scheduler); 0 while the stack is free. A handle
    /// whose id no longer matches refers to a thread that has finished.
    var id = 0
    var finished = false
    var blockedOn = BlockReason.notBlocked
    var wakeReason = WakeReason.ready
    /// Set by `interrupt()` while the thread was not blocked: its next blocking call throws.
    var interruptPending = false
    /// Reads and writes in a row that did not have to wait (see `Scheduler.noteIOWithoutWaiting`).
    var ioStreak = 0
    /// When a sleep or a wait with a timeout ends, on the monotonic clock, in nanoseconds.
    var deadline: UInt64 = 0
    /// Orders equal deadlines first-come first-served.
    var timerSequence: UInt64 = 0
    /// Position in the timer heap, or -1 when no timer is armed.
    var timerIndex = -1
    /// Threads blocked in `join()` on this one.
    var joiners = ThreadQueue()
    /// What the thread runs; taken out (and released) when it starts.
    var body: (() -> Void)?
    /// Where to report the thread's deepest stack use when it finishes (`measureStackUse`).
    var stackUseReport: UnsafeMutablePointer<Int>?
    /// The memory the thread runs on.
    let stack: StackRegion
    /// What a sanitizer build tells the sanitizers about this thread (empty otherwise).
    var fiber = FiberState()

    init(stack: StackRegion) {
        self.stack = stack
    }

    /// Makes a finished thread's record ready for the next thread, field by field (cheaper than
    /// assigning a whole new record). Fields a finished thread always leaves at their initial
    /// values (`body`, `joiners`, `timerIndex`, `next`) need no store.
    mutating func reset() {
        exclusivity = (0, 0)
        id = 0
        finished = false
        blockedOn = .notBlocked
        wakeReason = .ready
        interruptPending = false
        ioStreak = 0
        stackUseReport = nil
    }
}

/// A first-in first-out queue of threads linked through their records.
struct ThreadQueue {
    private(set) var head: ThreadPointer?
    private var tail: ThreadPointer?

    var isEmpty: Bool { head == nil }

    mutating func append(_ thread: ThreadPointer) {
        thread.pointee.next = nil
        if let tail { tail.pointee.next = thread } else { head = thread }
        tail = thread
    }

    mutating func popFirst() -> ThreadPointer? {
        guard let first = head else { return nil }
        head = first.pointee.next
        if head == nil { tail = nil }
        first.pointee.next = nil
        return first
    }

    /// Takes `thread` out from wherever it is in the queue (a timeout or an interrupt). O(n),
    /// and only on those rare paths.
    mutating func remove(_ thread: ThreadPointer) {
        var previous: ThreadPointer?
        var cursor = head
        while let current = cursor {
            if current == thread {
                if let previous { previous.pointee.next = current.pointee.next } else { head = current.pointee.next }
                if tail == current { tail = previous }
                current.pointee.next = nil
                return
            }
            previous = current
            cursor = current.pointee.next
        }
    }
}
