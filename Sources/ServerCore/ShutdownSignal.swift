// ShutdownSignal: turns SIGINT and SIGTERM into a graceful shutdown, with no signal handler.
//
// A signal handler may run between any two instructions of any thread and can safely call
// almost nothing (no locks, no `malloc`, no Swift). So the servers never install one. Instead
// they block SIGINT and SIGTERM in every thread, which leaves a signal *pending* when it
// arrives, and one dedicated thread takes it with `sigwait` — an ordinary blocking call that
// returns the signal's number. From there shutdown is plain code:
//
// 1. stop accepting: `shutdown(SHUT_RD)` on the listening socket makes an `accept` blocked in
//    another thread return (EINVAL, on Linux) and the accept loops check `isRequested` and leave.
//    The kernel also resets the connections still waiting in the backlog, which were never
//    accepted and never greeted, and refuses new ones;
// 2. wake whatever else the server blocks on (Part 3's queue) through `alsoWake`;
// 3. let the clients being served finish, for at most `--drain-timeout` seconds, and then shut
//    their sockets down (`LiveClients`), so their threads see end-of-file and finish too.
//
// The server's main thread then joins its workers, joins this thread with `waitForDrain`,
// prints the summary line and returns from `run`, so the process exits 0.

import Glibc

// @unchecked Sendable: `requested` is only touched with `lock` held; `signals` is set in init,
// before the signal thread that reads it exists, and never written again; `signalThread` is only
// touched by the thread that created the value (the server's main thread).
public final class ShutdownSignal: @unchecked Sendable {
    private var signals = sigset_t()
    private var requested = false
    private var signalThread: JoinableThread<Void>?
    private let lock = Lock()

    // snippet: block-signals
    /// Blocks SIGINT and SIGTERM in the calling thread. Create it first, before any other
    /// thread exists (BlockingServerLifecycle does, before it even listens): a new pthread
    /// inherits its creator's signal mask, so every thread the server starts afterwards has
    /// them blocked too, and none can be interrupted.
    public init() {
        signals = blockSignals([SIGINT, SIGTERM])
    }
    // end snippet

    /// Whether SIGINT or SIGTERM has arrived. Accept loops check it when `accept` fails.
    public var isRequested: Bool {
        lock.withLock { requested }
    }

    /// Starts the thread that waits for SIGINT or SIGTERM and then shuts the server down:
    /// it stops `listener` accepting, calls `alsoWake`, and drains `clients` for at most
    /// `drainTimeout` seconds. A signal that arrived before this call is pending and is
    /// taken at once.
    public func start(
        listener: Socket, clients: LiveClients, drainTimeout: Double,
        alsoWake: @escaping @Sendable () -> Void = {}
    ) throws {
        signalThread = try JoinableThread { [self] in
            let number = waitForSignal()
            stop(after: number, listener: listener, clients: clients, drainTimeout: drainTimeout, alsoWake: alsoWake)
        }
    }

    /// Waits until the signal thread has finished the drain: after it, no thread but the
    /// caller's writes any more output. Call only after `isRequested` became true.
    public func waitForDrain() {
        signalThread?.join()
        signalThread = nil
    }

    private func waitForSignal() -> Int32 {
        var number: Int32 = 0
        while sigwait(&signals, &number) != 0 {}  // fails only with EINVAL, for a bad set
        return number
    }

    // snippet: shutdown-sequence
    /// What the signal thread does once a signal has arrived.
    private func stop(
        after number: Int32, listener: Socket, clients: LiveClients, drainTimeout: Double,
        alsoWake: () -> Void
    ) {
        lock.withLock { requested = true }
        ShutdownLog.stoppedAccepting(after: number, clients: clients.count, drainTimeout: drainTimeout)
        try? listener.shutdown(Int32(SHUT_RD))  // a blocked accept returns; the backlog is reset
        alsoWake()
        if !clients.waitUntilEmpty(timeout: drainTimeout) {
            ShutdownLog.drainTimedOut(clients: clients.count)
            clients.shutDownAll()
        }
    }
    // end snippet
}

// snippet: block-signals-in-thread
/// Blocks `numbers` in the calling thread — and so in every thread it starts afterwards, which
/// inherit its mask — so they stay pending until the server collects them (with `sigwait` or a
/// signalfd) instead of interrupting anybody. Every server's shutdown starts here.
public func blockSignals(_ numbers: [Int32]) -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    for number in numbers { sigaddset(&set, number) }
    pthread_sigmask(SIG_BLOCK, &set, nil)  // fails only for a bad `how`
    return set
}
// end snippet
