// Part 1: the sequential server — one client at a time, every call blocking.
//
// The baseline the whole tutorial improves on. The main thread accepts a client, serves it until
// it leaves, and only then accepts the next; everyone else waits in the kernel's accept queue.
// Chapter 1 walks through this file and measures what the waiting costs. On SIGINT/SIGTERM the
// client being served may finish (up to --drain-timeout); clients still waiting in the backlog
// are never accepted (Chapter 3 explains the shutdown).

import ArgumentParser
import ServerCore

struct Part1Sequential: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part1Sequential",
        abstract: "Serves the protocol to one client at a time (Chapter 1).")

    @OptionGroup var server: ServerOptions

    func run() throws {
        let shutdown = ShutdownSignal()  // first: blocks SIGINT/SIGTERM before any thread starts
        let listener = try startListening(server)
        let clients = LiveClients()
        let stats = ServerStats()
        let work = server.makeWork()  // --work: CPU per message (Chapter 8)
        try shutdown.start(listener: listener, clients: clients, drainTimeout: server.drainTimeout)
        // snippet: sequential-loop
        while true {
            let client: Socket
            let peer: SocketAddress
            do {
                (client, peer) = try listener.accept()
            } catch {
                if shutdown.isRequested { break }  // the signal thread shut the listener down
                recoverFromAcceptFailure(error)
                continue
            }
            Log.line("\(peer) connected")
            serveClient(client, peer: peer, clients: clients, stats: stats, work: work)  // blocks until this client leaves
        }
        // end snippet
        shutdown.waitForDrain()
        listener.close()
        Log.plain(stats.summaryLine)
    }
}

Part1Sequential.main()
