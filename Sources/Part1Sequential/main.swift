// Part 1: the sequential server — one client at a time, every call blocking.
//
// The baseline the whole tutorial improves on. The main thread accepts a client, serves it until
// it leaves, and only then accepts the next; everyone else waits in the kernel's accept queue.
// Chapter 1 walks through this file and measures what the waiting costs. On SIGINT/SIGTERM the
// client being served may finish (up to --drain-timeout); clients still waiting in the backlog
// are never accepted (the interlude after Chapter 3 explains the shutdown, BlockingServerLifecycle
// in ServerCore).

import ArgumentParser
import ServerCore

// snippet: sequential-loop
/// Accepts a client, serves it until it leaves, and only then accepts the next. Returns once a
/// shutdown has begun.
func serveOneAtATime(_ lifecycle: BlockingServerLifecycle) {
    while let (client, peer) = lifecycle.acceptNextClient() {  // nil once a shutdown has begun
        Log.line("\(peer) connected")
        serveClient(client, peer: peer, clients: lifecycle.clients, stats: lifecycle.stats, work: lifecycle.work)  // blocks until this client leaves
    }
}
// end snippet

struct Part1Sequential: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part1Sequential",
        abstract: "Serves the protocol to one client at a time (Chapter 1).")

    @OptionGroup var server: ServerOptions

    func run() throws {
        let lifecycle = try BlockingServerLifecycle(server)  // signals blocked, listening, books open
        try lifecycle.startShutdownThread()
        serveOneAtATime(lifecycle)
        lifecycle.finish()  // the drain, then the summary line
    }
}

Part1Sequential.main()
