// AsyncServer: the accept loop, one task per client, and the graceful shutdown.
//
// Every task here prefers the EventLoopExecutor, so they all run on its one thread, one job at a
// time, and a task gives the thread up only at an `await`. That is why the server's tables are
// plain properties with no lock, exactly as in Part 5's GreenServer: between two awaits nobody
// else runs. (The blocking demonstration runs its sessions elsewhere, and hops back to this
// executor before it touches anything here.)
//
// Shutdown, as in the other servers: the first SIGINT/SIGTERM (read from a signalfd by its own
// task) stops accepting and lets connected clients finish for up to --drain-timeout seconds; a
// second signal, or the timeout, interrupts the remaining sessions, whose waits then throw.
// When the last session has ended, the main task stops the executor and `run` returns.

import CLinux
import Glibc
import ServerCore

struct Configuration {
    var idleTimeout: Double?
    var drainTimeout: Double
    /// The blocking demonstration: sessions on Swift's global pool with blocking sockets.
    var blockingOnGlobalPool: Bool
}

// snippet: main
/// Runs the server on the calling thread until a graceful shutdown is over.
func serve(_ options: ServerOptions, configuration: Configuration, stats: ServerStats) throws {
    let signals = try openSignalDescriptor()  // first: SIGINT and SIGTERM blocked before any thread starts
    let listener = try openListeners(options, count: 1)[0]  // ignores SIGPIPE, prints nothing yet
    let executor = try EventLoopExecutor()
    try setNonBlocking(listener.fd)
    try announce(listener)  // every descriptor the server keeps is open: ready for clients
    let server = AsyncServer(
        executor: executor, listener: listener, signals: signals, stats: stats, configuration: configuration)
    Task(executorPreference: executor) {  // the first job in the executor's queue
        await server.run()
        executor.stop()
    }
    executor.run()  // this thread is the executor's thread from now on
}
// end snippet

// @unchecked Sendable: every property is read and written only by tasks running on `executor`,
// whose one thread runs one job at a time (`endSession` checks it with `assertOnLoop`).
final class AsyncServer: @unchecked Sendable {
    private let executor: EventLoopExecutor
    private let listener: Socket
    private let signals: Int32
    private let stats: ServerStats
    private let configuration: Configuration

    /// The clients being served, by descriptor.
    private var clients: [Int32: Socket] = [:]
    private var listening = true
    private var draining = false
    private var acceptPaused = false
    private var shortageLogged = false
    /// The main task, waiting for the last session to end after the drain.
    private var lastClientGone: UnsafeContinuation<Void, Never>?

    init(executor: EventLoopExecutor, listener: Socket, signals: Int32, stats: ServerStats, configuration: Configuration) {
        self.executor = executor
        self.listener = listener
        self.signals = signals
        self.stats = stats
        self.configuration = configuration
    }

    /// The main task: accepts until shutdown, then waits for the drain and the last session.
    func run() async {
        do {
            try executor.register(listener.fd)
            try executor.register(signals)
        } catch {
            Log.line("cannot watch the listener: \(error)")
            return
        }
        let watcher = Task(executorPreference: executor) { await self.watchSignals() }
        await acceptClients()
        await watcher.value
        if !clients.isEmpty {
            await withUnsafeContinuation { lastClientGone = $0 }
        }
    }

    // snippet: accept-loop
    private func acceptClients() async {
        let acceptor = AsyncSocket(fd: listener.fd, executor: executor)
        while listening {
            do {
                let (client, peer) = try await acceptor.accept(blocking: configuration.blockingOnGlobalPool)
                shortageLogged = false
                startSession(client, peer: peer)
            } catch WaitError.interrupted {
                break  // shutdown: the signal watcher has closed the listener
            } catch {
                guard listening else { break }
                await waitForDescriptors(after: error)  // EMFILE and friends
            }
        }
    }
    // end snippet

    /// Out of descriptors: wait until a client leaves (or a second passes, in case the shortage
    /// is system-wide) before accepting again. The queued clients wait in the kernel meanwhile.
    private func waitForDescriptors(after error: any Error) async {
        if !shortageLogged {
            Log.line("\(error); \(clients.count) clients connected; accepting again when one leaves")
            shortageLogged = true
        }
        acceptPaused = true
        defer { acceptPaused = false }
        try? await executor.waitUntilReadable(listener.fd, deadline: MonotonicClock.nanosecondsNow() + 1_000_000_000)
    }

    // snippet: start-session
    private func startSession(_ client: Socket, peer: SocketAddress) {
        stats.clientConnected()
        clients[client.fd] = client
        Log.line("\(peer) connected (\(clients.count) active)")
        if configuration.blockingOnGlobalPool {
            startBlockingSession(client, peer: peer)
            return
        }
        do {
            try executor.register(client.fd)
        } catch {
            endSession(client, peer: peer, summary: SessionSummary(error: error))
            return
        }
        Task(executorPreference: executor) {  // one task per client, on this same thread
            let summary = await serve(AsyncSocket(fd: client.fd, executor: self.executor),
                                      idleTimeout: self.configuration.idleTimeout)
            self.endSession(client, peer: peer, summary: summary)
        }
    }
    // end snippet

    // snippet: blocking-session
    /// The demonstration: the same `serve`, on Swift's global concurrent executor, with a
    /// blocking socket. Each waiting read holds one of the pool's few threads.
    private func startBlockingSession(_ client: Socket, peer: SocketAddress) {
        Task(executorPreference: globalConcurrentExecutor) {
            let summary = await serve(BlockingSocket(socket: client), idleTimeout: nil)
            await withTaskExecutorPreference(self.executor) {  // back to the loop's thread
                self.endSession(client, peer: peer, summary: summary)
            }
        }
    }
    // end snippet

    private func endSession(_ client: Socket, peer: SocketAddress, summary: SessionSummary) {
        executor.assertOnLoop()
        clients[client.fd] = nil
        if !configuration.blockingOnGlobalPool { executor.deregister(client.fd) }
        client.close()
        stats.clientDisconnected(bytesAnswered: summary.bytesOut)
        Log.line("\(peer) disconnected (\(summary.description))")
        if acceptPaused { executor.nudge(listener.fd) }  // a descriptor is free again
        if draining && clients.isEmpty {
            executor.nudge(signals)  // the drain is over
            lastClientGone?.resume()
            lastClientGone = nil
        }
    }

    // snippet: shutdown
    /// The signal watcher's task: waits for SIGINT/SIGTERM on the signalfd, then drains.
    private func watchSignals() async {
        defer {
            executor.deregister(signals)
            Glibc.close(signals)
        }
        guard let signal = await nextSignal() else { return }
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        listening = false
        executor.interrupt(listener.fd)  // the accept loop's wait throws, and it leaves
        executor.deregister(listener.fd)
        listener.close()  // new clients are refused from now on
        Log.line("\(name): no longer accepting; letting \(clients.count) clients finish (up to \(configuration.drainTimeout) s)")
        draining = true
        let deadline = MonotonicClock.nanosecondsNow() + UInt64(configuration.drainTimeout * 1e9)
        while !clients.isEmpty {
            do {
                if try readSignal() != nil {  // a second signal ends the drain at once
                    Log.line("\(name) again: closing the remaining connections now")
                    break
                }
                // Woken by a signal, by the last client leaving (`nudge`), or by the deadline.
                try await executor.waitUntilReadable(signals, deadline: deadline)
            } catch WaitError.timedOut {
                Log.line("drain timeout: closing \(clients.count) client connections")
                break
            } catch {
                Log.line("cannot read the signalfd: \(error); closing the remaining connections now")
                break
            }
        }
        for client in clients.values {
            if configuration.blockingOnGlobalPool {
                try? client.shutdown(Int32(SHUT_RDWR))  // its blocked read returns 0
            } else {
                executor.interrupt(client.fd)  // its waits throw WaitError.interrupted
            }
        }
    }
    // end snippet

    /// Waits for the first SIGINT or SIGTERM; nil if the signalfd fails.
    private func nextSignal() async -> Int32? {
        while true {
            do {
                if let signal = try readSignal() { return signal }
                try await executor.waitUntilReadable(signals)
            } catch {
                Log.line("cannot read the signalfd: \(error); SIGINT and SIGTERM will not stop this server")
                return nil
            }
        }
    }

    /// One pending signal from the signalfd, or nil if none is pending.
    private func readSignal() throws -> Int32? {
        var info = signalfd_siginfo()
        while true {
            let count = Glibc.read(signals, &info, MemoryLayout<signalfd_siginfo>.size)
            if count == MemoryLayout<signalfd_siginfo>.size { return Int32(info.ssi_signo) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return nil }
            throw SystemCallError("read(2) of a signalfd", code: count < 0 ? errno : EIO)
        }
    }
}

extension SessionSummary {
    init(error: any Error) {
        self.init()
        self.error = error
    }
}

/// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts later,
/// Swift's pool threads included) and returns a non-blocking signalfd that reads them.
func openSignalDescriptor() throws -> Int32 {
    var set = blockSignals([SIGINT, SIGTERM])
    return try retryingOnInterrupt("signalfd(2)") { signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
}

/// Makes `fd` non-blocking: calls that would wait fail with EAGAIN instead.
func setNonBlocking(_ fd: Int32) throws {
    let flags = try retryingOnInterrupt("fcntl(2)") { fcntl(fd, F_GETFL) }
    try retryingOnInterrupt("fcntl(2)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
}
