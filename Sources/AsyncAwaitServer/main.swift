// AsyncAwaitServer: each client a Swift task, every task on one thread of our own that sleeps in
// epoll (Chapter 7).
//
// main parses the options and hands over to `serve` (AsyncServer.swift), which runs the executor
// on this thread until a graceful shutdown is over. The idea is in EventLoopExecutor.swift (the
// executor: a job queue and epoll), AsyncSocket.swift (a read that suspends the task on EAGAIN)
// and ClientSession.swift (the straight-line session each task runs).

import ArgumentParser
import ServerCore

struct AsyncAwaitServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "AsyncAwaitServer",
        abstract: "Serves each client in its own Swift task, all on one thread that waits in epoll (Chapter 7).")

    @OptionGroup var server: ServerOptions

    @Option(help: "Close a client after this many seconds without a byte from it. Default: never.")
    var idleTimeout: Double?

    @Flag(help: "Demonstration: run each session on Swift's global executor with blocking reads (Chapter 7).")
    var blockingOnGlobalPool = false

    func validate() throws {
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive.") }
        if blockingOnGlobalPool && idleTimeout != nil {
            throw ValidationError("--idle-timeout needs the event-loop executor; drop --blocking-on-global-pool.")
        }
    }

    func run() throws {
        let stats = ServerStats()
        try serve(server, configuration: Configuration(
            idleTimeout: idleTimeout, drainTimeout: server.drainTimeout, blockingOnGlobalPool: blockingOnGlobalPool),
            stats: stats)
        Log.plain(stats.summaryLine)  // the last line, worded as every server words it
    }
}

AsyncAwaitServer.main()
