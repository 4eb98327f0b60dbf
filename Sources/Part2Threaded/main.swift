// Part 2: one kernel thread per client.
//
// The main thread only accepts; each client gets a detached pthread that runs the same blocking
// `serveConnection` Part 1 used. `--max-clients` caps how many threads exist at once: when the
// cap is reached the main thread stops accepting, so the next clients wait in the kernel's
// accept queue instead of being refused. Chapter 2 walks through this file. On SIGINT/SIGTERM it
// stops accepting and waits for every client thread (up to --drain-timeout, then their sockets
// are shut down) before printing its summary (the interlude after Chapter 3,
// Chapters/03b-shutdown.md, explains the shutdown).

import ArgumentParser
import ServerCore

// snippet: accept-loop
/// Accepts clients and starts a detached thread for each, while `slots` has room. Returns once
/// a shutdown has begun.
func serveEachOnItsOwnThread(_ lifecycle: BlockingServerLifecycle, slots: ClientSlots) {
    while true {
        slots.waitForFreeSlot()  // with --max-clients, stop accepting while every slot is taken
        guard let (client, peer) = lifecycle.acceptNextClient() else {  // nil once a shutdown has begun
            slots.release()
            break
        }
        Log.line("\(peer) connected (\(slots.active) active)")
        do {
            try startDetachedThread {
                serveClient(client, peer: peer, clients: lifecycle.clients, stats: lifecycle.stats, work: lifecycle.work)
                slots.release()  // last: the main thread waits for every slot before it exits
            }
        } catch {
            // Out of threads or memory: turn this one client away, keep serving the rest.
            client.close()
            slots.release()
            Log.line("\(peer) closed without service: \(error)")
        }
    }
}
// end snippet

struct Part2Threaded: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part2Threaded",
        abstract: "Serves each client on its own pthread (Chapter 2).")

    @OptionGroup var server: ServerOptions

    @Option(help: "Most clients served at once; more wait in the accept queue. Default: no limit.")
    var maxClients: Int?

    func validate() throws {
        if let maxClients, maxClients < 1 { throw ValidationError("--max-clients must be at least 1.") }
    }

    func run() throws {
        let lifecycle = try BlockingServerLifecycle(server)  // signals blocked, listening, books open
        let slots = ClientSlots(limit: maxClients)
        try lifecycle.startShutdownThread()
        serveEachOnItsOwnThread(lifecycle, slots: slots)
        // Detached threads cannot be joined, so wait until each has given its slot back.
        slots.waitUntilAllReleased()
        lifecycle.finish()  // the drain, then the summary line
    }
}

Part2Threaded.main()
