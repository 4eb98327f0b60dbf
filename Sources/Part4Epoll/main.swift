// Part 4: one thread serves every client, waiting in epoll instead of in read.
//
// main parses the options, blocks SIGINT and SIGTERM (they will arrive as readable events on a
// signalfd instead), opens the listening socket and hands both to the event loop, which runs
// until a graceful shutdown is over. The interesting code is in EventLoop.swift (the loop),
// Connection.swift (one client's state and buffers) and IdleTimer.swift (timers without
// threads). Chapter 4 walks through them.

import ArgumentParser
import Glibc
import ServerCore

struct Part4Epoll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part4Epoll",
        abstract: "Serves every client from one thread with non-blocking sockets and epoll (Chapter 4).")

    @OptionGroup var server: ServerOptions

    @Option(help: "Reply bytes a client may leave unread before the server stops reading from it.")
    var maxPending: Int = 64 * 1024

    @Option(help: "Close a client after this many seconds without traffic. Default: never.")
    var idleTimeout: Double?

    func validate() throws {
        guard maxPending >= 1 else { throw ValidationError("--max-pending must be at least 1.") }
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive.") }
    }

    // snippet: main
    func run() throws {
        let signals = try SignalDescriptor(for: [SIGINT, SIGTERM])  // first: before `listening on`
        let listener = try startListening(server)
        let stats = ServerStats()
        let loop = try EventLoop(
            listener: listener, signals: signals,
            configuration: .init(
                maxPending: maxPending,
                idleTimeout: idleTimeout.map { Milliseconds($0 * 1000) },
                drainTimeout: Milliseconds(server.drainTimeout * 1000)),
            stats: stats)
        try loop.run()  // returns after a graceful shutdown
        Log.plain(stats.summaryLine)  // the last line, worded as every server words it
    }
    // end snippet
}

Part4Epoll.main()
