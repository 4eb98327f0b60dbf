// EventLoop: one thread, one epoll instance, every client.
//
// The blocking servers ask "wait until *this* client sends something"; the loop asks the kernel
// "wait until *any* of these descriptors is ready, or until the next timer is due", then does
// exactly the work that is ready and goes back to waiting. Nothing in here may block: the
// sockets are non-blocking, every read and write stops at EAGAIN, and a client that cannot keep
// up gets its replies buffered (up to a cap) instead of holding up the thread.
//
// Registrations are level-triggered: epoll keeps reporting a descriptor for as long as it is
// ready, so the loop may stop reading a client early (for fairness, or because its output is at
// the cap) and trust epoll to bring it back. Chapter 4 explains why not edge-triggered.

import CLinux
import Glibc
import ServerCore

final class EventLoop {
    struct Configuration {
        /// Stop reading a client while this many reply bytes wait for it (back-pressure).
        var maxPending: Int
        /// Close clients quiet for this long; nil: never.
        var idleTimeout: Milliseconds?
        /// On SIGINT/SIGTERM, how long connected clients may take to leave.
        var drainTimeout: Milliseconds
        /// The CPU a complete message costs (`--work`, Chapter 8).
        var work: CPUWork = .none
        /// Starts this loop's log lines, e.g. `[loop 1] ` when a server runs several (Chapter 8).
        var logPrefix = ""
    }

    /// Reads made for one client per readiness event before the loop moves on to the others.
    static let readsPerEvent = 16
    /// Safety net for resuming accepts after a descriptor shortage nobody in this process ends
    /// (ENFILE: the whole system is out); normally a leaving client resumes them at once.
    static let acceptRetryDelay: Milliseconds = 1000

    private let configuration: Configuration
    private let stats: ServerStats
    private let epoll: Int32
    private let listener: Socket
    private let signals: SignalDescriptor
    /// Tells every loop of the server about a signal any one of them read (Chapter 8).
    private let relay: SignalRelay
    /// How many of the relay's signals this loop has acted on.
    private var signalsHandled = 0
    /// Its eventfd wakes this loop when a worker has finished a job, or the relay has news.
    private let finishedWork: FinishedWork
    /// Where costly messages go with `--offload`; nil: this loop works them itself.
    private let pool: WorkerPool?
    private var connections: [Int32: Connection] = [:]
    private var idleTimer: IdleTimer?

    private var listening = true
    private var acceptPaused = false
    /// Set when a pause is logged, cleared by the next successful accept: a shortage that lasts
    /// is logged once, not once per retry.
    private var shortageLogged = false
    private var acceptRetryAt: Milliseconds?
    private var drainDeadline: Milliseconds?
    private var finished = false

    /// One read buffer for every client of this loop. Safe by construction, not by a rule:
    /// `Connection.readAvailable` reads into it and feeds the bytes to that client's protocol
    /// machine in one synchronous call, and nothing else runs on this loop's thread until it
    /// returns, so no byte stays in here between two calls.
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    private let eventCapacity = 1024
    private let events: UnsafeMutablePointer<epoll_event>

    // snippet: create-epoll
    init(
        listener: Socket, configuration: Configuration, stats: ServerStats,
        relay: SignalRelay, finishedWork: FinishedWork, pool: WorkerPool?
    ) throws {
        self.listener = listener
        self.configuration = configuration
        self.stats = stats
        self.relay = relay
        self.finishedWork = finishedWork
        self.pool = pool
        idleTimer = configuration.idleTimeout.map { IdleTimer(timeout: $0) }
        events = .allocate(capacity: eventCapacity)
        epoll = try retryingOnInterrupt("epoll_create1(2)") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        signals = try SignalDescriptor(for: [SIGINT, SIGTERM])  // main blocked them before `listening on`
        try setNonBlocking(listener.fd)
        try control(EPOLL_CTL_ADD, listener.fd, events: EPOLLIN.rawValue)
        try control(EPOLL_CTL_ADD, signals.fd, events: EPOLLIN.rawValue)
        try control(EPOLL_CTL_ADD, finishedWork.fd, events: EPOLLIN.rawValue)
        relay.register(wakeDescriptor: finishedWork.fd)
    }
    // end snippet

    deinit {
        readBuffer.deallocate()
        events.deallocate()
        Glibc.close(signals.fd)
        Glibc.close(epoll)
    }

    // snippet: run
    /// Waits for readiness or the next timer, handles what is ready, and repeats until a
    /// graceful shutdown has seen every client leave (or the drain timeout run out).
    func run() throws {
        while !finished {
            let timeout = millisecondsUntilNextTimer(now: monotonicMilliseconds())
            let count = epoll_wait(epoll, events, Int32(eventCapacity), timeout)
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("epoll_wait(2)", code: errno)
            }
            for index in 0..<Int(count) {
                dispatch(events[index])
            }
            runDueTimers(now: monotonicMilliseconds())
        }
    }
    // end snippet

    // snippet: dispatch
    /// Routes one readiness event to the code that owns the descriptor. Each descriptor
    /// appears at most once in a batch, so a connection closed earlier in the batch cannot be
    /// confused with a new one that was given the same descriptor number.
    private func dispatch(_ event: epoll_event) {
        let fd = event.data.fd
        if fd == listener.fd {
            acceptClients()
        } else if fd == signals.fd {
            for signal in signals.receive() { relay.announce(signal) }  // to every loop, this one too
        } else if fd == finishedWork.fd {
            wokenUp()
        } else if let connection = connections[fd] {
            serve(connection, events: event.events)
        }
    }
    // end snippet

    // MARK: Accepting

    // snippet: accept-clients
    /// Accepts every connection waiting in the kernel's queue, until `accept4` says EAGAIN.
    private func acceptClients() {
        while listening && !acceptPaused {
            var peer = SocketAddress()
            let fd = peer.withMutableSockaddr { address, length in
                // The new socket is non-blocking and close-on-exec from birth: one call, not three.
                accept4(listener.fd, address, length, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
            }
            if fd >= 0 {
                shortageLogged = false
                open(Connection(socket: Socket(fd: fd), peer: peer, work: configuration.work))
                continue
            }
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK:
                return  // the queue is empty
            case EINTR, ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, ENETUNREACH:
                continue  // that one client's trouble (it reset while queued): take the next
            default:
                pauseAccepting(SystemCallError("accept4(2)", code: code))  // EMFILE, ENFILE, ENOMEM...
                return
            }
        }
    }
    // end snippet

    // snippet: pause-accepting
    /// Out of descriptors (or memory): stop watching the listener, so a level-triggered epoll
    /// does not report the same waiting connection, and the same failure, in a tight loop.
    /// Waiting clients stay in the kernel's accept queue. The next client to leave frees a
    /// descriptor and resumes accepting; a timer retries in case the shortage is system-wide.
    private func pauseAccepting(_ error: SystemCallError) {
        acceptPaused = true
        acceptRetryAt = monotonicMilliseconds() + Self.acceptRetryDelay
        setListenerWatched(false)
        if !shortageLogged {
            Log.line("\(configuration.logPrefix)\(error); \(connections.count) clients connected; accepting again when one leaves")
            shortageLogged = true
        }
    }

    private func resumeAccepting() {
        guard acceptPaused else { return }
        acceptPaused = false
        acceptRetryAt = nil
        setListenerWatched(true)  // level-triggered: still-waiting clients are reported at once
    }
    // end snippet

    private func setListenerWatched(_ watched: Bool) {
        guard listening else { return }
        do {
            try control(EPOLL_CTL_MOD, listener.fd, events: watched ? EPOLLIN.rawValue : 0)
        } catch {
            Log.line("cannot change the listener's registration: \(error)")
        }
    }

    // snippet: open-connection
    /// Starts serving a freshly accepted client: greet it and register it with epoll.
    private func open(_ connection: Connection) {
        let fd = connection.socket.fd
        connections[fd] = connection
        stats.clientConnected()
        Log.line("\(configuration.logPrefix)\(connection.peer) connected (\(connections.count) active)")
        idleTimer?.touch(fd, now: monotonicMilliseconds())
        do {
            try connection.flush()  // the greeting
            connection.registeredEvents = connection.wantedEvents(maxPending: configuration.maxPending)
            try control(EPOLL_CTL_ADD, fd, events: connection.registeredEvents)
        } catch {
            close(connection, because: error)
        }
    }
    // end snippet

    // MARK: Serving clients

    // snippet: serve
    /// Does whatever one readiness event allows for one client: write pending replies, read
    /// and answer new bytes, then re-register for exactly what the client now needs.
    private func serve(_ connection: Connection, events: UInt32) {
        let trouble = EPOLLERR.rawValue | EPOLLHUP.rawValue
        let progressBefore = connection.bytesIn + connection.bytesOut
        do {
            if events & (EPOLLOUT.rawValue | trouble) != 0 {
                try connection.flush()
            }
            if events & (EPOLLIN.rawValue | trouble) != 0 && connection.registeredEvents & EPOLLIN.rawValue != 0 {
                let costly = try connection.readAvailable(
                    into: readBuffer, maxPending: configuration.maxPending, maxReads: Self.readsPerEvent,
                    offloading: pool != nil)
                if costly > 0 { handOff(costly, of: connection) }
                try connection.flush()  // send what this pass earned straight away (unless it waits for work)
            }
        } catch {
            close(connection, because: error)  // a reset or broken pipe ends this client only
            return
        }
        if connection.peerClosed && connection.pendingOutput == 0 && !connection.workInFlight {
            close(connection, because: nil)  // the client said goodbye and has every reply
            return
        }
        if events & trouble != 0 {
            close(connection, because: HangUp())  // cannot be served any more; never spin on it
            return
        }
        if connection.bytesIn + connection.bytesOut != progressBefore {
            idleTimer?.touch(connection.socket.fd, now: monotonicMilliseconds())
        }
        updateRegistration(connection)
    }
    // end snippet

    // snippet: update-registration
    /// Tells epoll about a change in what the connection waits for, and only about a change:
    /// an `epoll_ctl` per event would double the system calls of a busy loop.
    private func updateRegistration(_ connection: Connection) {
        let wanted = connection.wantedEvents(maxPending: configuration.maxPending)
        guard wanted != connection.registeredEvents else { return }
        do {
            try control(EPOLL_CTL_MOD, connection.socket.fd, events: wanted)
            connection.registeredEvents = wanted
        } catch {
            close(connection, because: error)
        }
    }
    // end snippet

    // MARK: Work on other threads (Chapter 8)

    // snippet: hand-off
    /// `--offload`: gives a connection's costly messages to the pool. Until the job comes back
    /// the connection neither writes (its replies wait behind the work) nor reads (so its later
    /// messages cannot overtake), and the loop serves everybody else.
    private func handOff(_ costly: Int, of connection: Connection) {
        connection.workInFlight = true
        pool!.submit(Job(messages: costly, ticket: ConnectionTicket(connection: connection), finished: finishedWork))
    }

    /// The eventfd was readable: a worker finished jobs, or the relay has a signal for us.
    private func wokenUp() {
        drainEventDescriptor(finishedWork.fd)  // resets the counter; we take everything below
        for signal in relay.signals(after: signalsHandled) {
            signalsHandled += 1
            beginShutdown(signal)
        }
        for job in finishedWork.take() {
            workDone(job.ticket.connection)
        }
    }

    /// A connection's work is done: its replies may go out, and it may be read again.
    private func workDone(_ connection: Connection) {
        guard !connection.isClosed else { return }  // it reset, or the drain ended it, meanwhile
        connection.workInFlight = false
        do {
            try connection.flush()
        } catch {
            close(connection, because: error)
            return
        }
        if connection.peerClosed && connection.pendingOutput == 0 {
            close(connection, because: nil)
            return
        }
        idleTimer?.touch(connection.socket.fd, now: monotonicMilliseconds())
        updateRegistration(connection)  // EPOLLIN again; bytes that arrived meanwhile are reported at once
    }
    // end snippet

    /// Ends a connection: logs why, closes the socket (which also removes it from the epoll
    /// set), and frees its descriptor for a client waiting to be accepted.
    private func close(_ connection: Connection, because reason: (any Error)?) {
        let fd = connection.socket.fd
        connection.isClosed = true
        connections.removeValue(forKey: fd)
        idleTimer?.remove(fd)
        connection.socket.close()
        stats.clientDisconnected(bytesAnswered: connection.bytesOut)
        let why = reason.map { ", \($0)" } ?? ""
        Log.line("\(configuration.logPrefix)\(connection.peer) disconnected (\(connection.summary)\(why))")
        resumeAccepting()
        if drainDeadline != nil && connections.isEmpty { finished = true }  // the last one has left
    }

    // MARK: Timers

    // snippet: next-timer
    /// The timeout for `epoll_wait`: -1 (wait for I/O only) when no timer is armed, else the
    /// milliseconds until the earliest one is due.
    private func millisecondsUntilNextTimer(now: Milliseconds) -> Int32 {
        let deadlines = [idleTimer?.nextDeadline, acceptRetryAt, drainDeadline].compactMap { $0 }
        guard let next = deadlines.min() else { return -1 }
        return Int32(clamping: max(0, next - now))
    }

    private func runDueTimers(now: Milliseconds) {
        if var timer = idleTimer {
            let expired = timer.expire(now: now)
            idleTimer = timer
            for fd in expired {
                guard let connection = connections[fd] else { continue }
                close(connection, because: IdleTimeout(seconds: Double(timer.timeout) / 1000))
            }
        }
        if let retry = acceptRetryAt, retry <= now {
            resumeAccepting()
        }
        if let deadline = drainDeadline, deadline <= now {
            endDrain()
        }
    }
    // end snippet

    // MARK: Graceful shutdown

    // snippet: shutdown
    /// First SIGINT/SIGTERM: stop accepting and let connected clients finish, for up to the
    /// drain timeout. A second one ends the wait at once.
    private func beginShutdown(_ signal: Int32) {
        if drainDeadline != nil {
            ShutdownLog.signalledAgain(signal, prefix: configuration.logPrefix)
            drainDeadline = monotonicMilliseconds()
            return
        }
        listening = false
        listener.close()  // new clients are refused from now on; closing also unregisters it
        let seconds = Double(configuration.drainTimeout) / 1000
        ShutdownLog.stoppedAccepting(after: signal, clients: connections.count, drainTimeout: seconds, prefix: configuration.logPrefix)
        drainDeadline = monotonicMilliseconds() + configuration.drainTimeout
        if connections.isEmpty { finished = true }
    }

    /// The drain timeout has run out: close whoever is still connected.
    private func endDrain() {
        if !connections.isEmpty {
            ShutdownLog.drainTimedOut(clients: connections.count, prefix: configuration.logPrefix)
        }
        for connection in Array(connections.values) {
            close(connection, because: ServerShutdown())
        }
        finished = true
    }
    // end snippet

    // MARK: System calls

    // snippet: control
    /// Adds `fd` to the interest list (EPOLL_CTL_ADD) or changes what it is watched for
    /// (EPOLL_CTL_MOD); closing a descriptor takes it off. The descriptor's own number travels
    /// in `data`, so each event says which descriptor it is about.
    private func control(_ operation: Int32, _ fd: Int32, events: UInt32) throws {
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        try retryingOnInterrupt("epoll_ctl(2)") { epoll_ctl(epoll, operation, fd, &event) }
    }
    // end snippet
}
