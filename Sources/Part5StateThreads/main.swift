// Part 5: green threads — thread-per-client code on one kernel thread that sleeps in epoll.
//
// main parses the options, blocks SIGINT and SIGTERM (they will arrive as readable events on a
// signalfd instead), opens the listening socket, and runs the StateThreads scheduler
// (SchedulerStart.swift) — or, with `--schedulers N`, N of them, one per kernel thread, each with
// its own listener on the shared port (Chapter 8). GreenServer.swift has the accept loop and the shutdown; ClientSession.swift has the
// straight-line code each client's green thread runs. Chapter 5 walks through them, and through
// the runtime underneath (Sources/StateThreads, Sources/CContextSwitch).

import ArgumentParser
import CLinux
import Glibc
import ServerCore
import StateThreads

struct Part5StateThreads: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part5StateThreads",
        abstract: "Serves each client on its own green thread, all on one kernel thread (Chapter 5), or on one per scheduler with --schedulers (Chapter 8).")

    @OptionGroup var server: ServerOptions

    @Option(help: "Close a client after this many seconds without a byte from it. Default: never.")
    var idleTimeout: Double?

    @Option(help: "KiB of stack per green thread (at least 16).")
    var stackSize: Int = Scheduler.defaultStackSize / 1024

    @Option(help: "Schedulers, each on its own kernel thread with its own SO_REUSEPORT listener (Chapter 8).")
    var schedulers: Int = 1

    func validate() throws {
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive.") }
        guard stackSize * 1024 >= Scheduler.minimumStackSize else {
            throw ValidationError("--stack-size must be at least \(Scheduler.minimumStackSize / 1024) KiB.")
        }
        guard schedulers >= 1 else { throw ValidationError("--schedulers must be at least 1.") }
    }

    // snippet: main
    func run() throws {
        _ = blockSignals([SIGINT, SIGTERM])  // first: every thread started below inherits the mask
        let listeners = try openListeners(server, count: schedulers)  // one per scheduler, sharing the port
        let stats = ServerStats()
        let relay = SignalRelay()
        var configuration = GreenServer.Configuration(
            idleTimeout: idleTimeout.map { .milliseconds(Int($0 * 1000)) },
            drainTimeout: server.drainTimeout,
            work: server.makeWork())
        let ready = Countdown(schedulers)
        // Kept open until every scheduler has finished: the relay may wake one that is done.
        let wakeFDs = try listeners.map { _ in
            try retryingOnInterrupt("eventfd(2)") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        }
        let starts = listeners.indices.map { index in
            if schedulers > 1 { configuration.logPrefix = "[scheduler \(index)] " }
            return SchedulerStart(
                listener: listeners[index], wakeFD: wakeFDs[index], configuration: configuration,
                stackSize: stackSize * 1024, guardedStackLimit: Scheduler.guardedStackLimit(sharedBy: schedulers),
                announces: index == 0)
        }
        // Scheduler 0 runs on this thread, as Chapter 5's one scheduler always did; the others get
        // their own. Scheduler 0 announces the port once every scheduler is ready.
        let threads = try starts.dropFirst().map { start in
            try JoinableThread {
                if let failure = start.run(stats: stats, relay: relay, ready: ready) { Log.line(failure) }  // said at once
            }
        }
        if let failure = starts[0].run(stats: stats, relay: relay, ready: ready) {
            Log.line(failure)
            throw ExitCode.failure  // ends the process, and with it any other scheduler
        }
        for thread in threads { thread.join() }
        for fd in wakeFDs { _ = close(fd) }
        Log.plain(stats.summaryLine)  // the last line, worded as every server words it
    }
    // end snippet
}

Part5StateThreads.main()
