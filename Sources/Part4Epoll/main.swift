// Part 4: one thread serves every client, waiting in epoll instead of in read.
//
// main parses the options, blocks SIGINT and SIGTERM (each loop will read them from a signalfd
// instead), opens the listening socket and hands it to the event loop, which runs until a graceful
// shutdown is over. With `--loops N` it opens N listening sockets on one port and runs N loops, one
// per thread; with `--offload N` a pool of N threads does the loops' `--work` (Chapter 8). The
// interesting code is in EventLoop.swift (the loop),
// Connection.swift (one client's state and buffers) and IdleTimer.swift (timers without
// threads). Chapter 4 walks through them.

import ArgumentParser
import Glibc
import ServerCore

struct Part4Epoll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part4Epoll",
        abstract: "Serves every client from one thread with non-blocking sockets and epoll (Chapter 4), or from one thread per loop with --loops (Chapter 8).")

    @OptionGroup var server: ServerOptions

    @Option(help: "Reply bytes a client may leave unread before the server stops reading from it.")
    var maxPending: Int = 64 * 1024

    @Option(help: "Close a client after this many seconds without traffic. Default: never.")
    var idleTimeout: Double?

    @Option(help: "Event loops, each on its own thread with its own epoll and its own SO_REUSEPORT listener (Chapter 8).")
    var loops: Int = 1

    @Option(help: "Worker threads that do the --work of messages, so the loops never compute (Chapter 8); 0: the loops compute it themselves.")
    var offload: Int = 0

    func validate() throws {
        guard maxPending >= 1 else { throw ValidationError("--max-pending must be at least 1.") }
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive.") }
        guard loops >= 1 else { throw ValidationError("--loops must be at least 1.") }
        guard offload >= 0 else { throw ValidationError("--offload must not be negative.") }
    }

    // snippet: main
    func run() throws {
        _ = blockSignals([SIGINT, SIGTERM])  // first: every thread started below inherits the mask
        let listeners = try openListeners(server, count: loops)  // one per loop, sharing the port
        let stats = ServerStats()
        let relay = SignalRelay()
        let work = server.makeWork()
        let pool = offload > 0 ? try WorkerPool(threads: offload, work: work) : nil
        var configuration = EventLoop.Configuration(
            maxPending: maxPending,
            idleTimeout: idleTimeout.map { Milliseconds($0 * 1000) },
            drainTimeout: Milliseconds(server.drainTimeout * 1000),
            work: work)
        // Kept open until every loop has finished: the relay may wake a loop that is done.
        let wakeUps = try listeners.map { _ in try FinishedWork() }
        var loopsMade: [EventLoop] = []
        for (index, listener) in listeners.enumerated() {
            if loops > 1 { configuration.logPrefix = "[loop \(index)] " }
            loopsMade.append(try EventLoop(
                listener: listener, configuration: configuration, stats: stats,
                relay: relay, finishedWork: wakeUps[index], pool: pool))
        }
        // Loop 0 runs on this thread, as Chapter 4's one loop always did; the others get their own.
        let threads = try loopsMade.dropFirst().map { loop in
            try JoinableThread { [handOver = LoopHandOver(loop: loop)] in
                // run returns after a graceful shutdown; it throws only if epoll_wait fails
                do { try handOver.loop.run() } catch { Log.line("event loop stopped: \(error)") }  // said at once
            }
        }
        try announce(listeners[0])  // every loop is ready: tests count our descriptors from here
        try loopsMade[0].run()  // returns after a graceful shutdown
        for thread in threads { thread.join() }
        pool?.closeAndJoin()
        withExtendedLifetime((wakeUps, loopsMade)) {}
        Log.plain(stats.summaryLine)  // the last line, worded as every server words it
    }
    // end snippet
}

/// An event loop on its way to the thread that runs it.
// @unchecked Sendable: main creates the loop and never touches it again once its thread starts;
// from then on only that thread uses it.
struct LoopHandOver: @unchecked Sendable {
    let loop: EventLoop
}

Part4Epoll.main()
