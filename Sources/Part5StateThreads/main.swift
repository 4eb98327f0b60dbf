// Part 5: green threads — thread-per-client code on one kernel thread that sleeps in epoll.
//
// main parses the options, blocks SIGINT and SIGTERM (they will arrive as readable events on a
// signalfd instead), starts the StateThreads scheduler, and opens the listening socket on its
// first green thread. GreenServer.swift has the accept loop and the shutdown; ClientSession.swift has the
// straight-line code each client's green thread runs. Chapter 5 walks through them, and through
// the runtime underneath (Sources/StateThreads, Sources/CContextSwitch).

import ArgumentParser
import Glibc
import ServerCore
import StateThreads

struct Part5StateThreads: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part5StateThreads",
        abstract: "Serves each client on its own green thread, all on one kernel thread (Chapter 5).")

    @OptionGroup var server: ServerOptions

    @Option(help: "Close a client after this many seconds without a byte from it. Default: never.")
    var idleTimeout: Double?

    @Option(help: "KiB of stack per green thread (at least 16).")
    var stackSize: Int = Scheduler.defaultStackSize / 1024

    func validate() throws {
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive.") }
        guard stackSize * 1024 >= Scheduler.minimumStackSize else {
            throw ValidationError("--stack-size must be at least \(Scheduler.minimumStackSize / 1024) KiB.")
        }
    }

    // snippet: main
    func run() throws {
        let signals = try SignalDescriptor(for: [SIGINT, SIGTERM])  // first: before anything can be interrupted
        let stats = ServerStats()
        try Scheduler.run(stackSize: stackSize * 1024) {
            // Listening from inside the scheduler: its epoll instance and stacks exist by the time
            // `listening on` is printed, so the server's descriptors are settled from then on.
            let listener = try GreenSocket(adopting: try startListening(server))
            let greenServer = GreenServer(
                listener: listener, signals: signals, stats: stats,
                idleTimeout: idleTimeout.map { .milliseconds(Int($0 * 1000)) },
                drainTimeout: server.drainTimeout)
            greenServer.run()  // returns when it stops accepting; run returns when every client has left
        }
        Log.plain(stats.summaryLine)  // the last line, worded as every server words it
    }
    // end snippet
}

Part5StateThreads.main()
