// Part 3: a fixed pool of worker threads fed through a bounded queue.
//
// The main thread accepts clients and queues them; `--threads` workers take them from the
// queue and serve them with the same blocking `serveConnection` Parts 1 and 2 use. At most
// `--threads` clients are served at once and at most `--queue-capacity` wait in the queue;
// beyond that the main thread stops accepting and clients wait in the kernel's backlog.
// SIGINT/SIGTERM stop it gracefully. Chapter 3 walks through this folder.

import ArgumentParser
import ServerCore

// snippet: pool-accept-loop
/// Accepts clients while the pool has room and queues each for a worker. Returns once a
/// shutdown has begun (and closed the pool).
func queueClientsForThePool(_ lifecycle: BlockingServerLifecycle, pool: ThreadPool) {
    while pool.waitForRoom() {  // false once shutdown has closed the pool
        guard let (client, peer) = lifecycle.acceptNextClient() else { break }  // nil: shutting down
        Log.line("\(peer) connected, queued for a worker")
        if !pool.submit(AcceptedClient(socket: client, peer: peer, acceptedAt: MonotonicClock.now())) {
            client.close()  // the pool closed between waitForRoom and submit
            Log.line("\(peer) closed without service: shutting down")
            break
        }
    }
}
// end snippet

struct Part3Pool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part3Pool",
        abstract: "Serves clients on a fixed pool of pthreads fed by a bounded queue (Chapter 3).")

    @OptionGroup var server: ServerOptions

    @Option(help: "Worker threads, hence most clients served at once.")
    var threads: Int = 4

    @Option(help: "Accepted clients that may wait for a worker; more wait in the kernel's backlog.")
    var queueCapacity: Int = 16

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        guard queueCapacity >= 1 else { throw ValidationError("--queue-capacity must be at least 1.") }
    }

    func run() throws {
        let lifecycle = try BlockingServerLifecycle(server)  // signals blocked, listening, books open
        let pool = try ThreadPool(threads: threads, queueCapacity: queueCapacity, clients: lifecycle.clients, stats: lifecycle.stats, work: lifecycle.work)
        Log.line("\(threads) worker threads, queue capacity \(queueCapacity)")
        try lifecycle.startShutdownThread {
            // Wakes the accept loop if it waits for room, and every idle worker.
            for waiting in pool.close() {
                waiting.socket.close()
                Log.line("\(waiting.peer) closed without service: shutting down")
            }
        }
        queueClientsForThePool(lifecycle, pool: pool)
        pool.join()
        lifecycle.finish()  // the drain, then the summary line
    }
}

Part3Pool.main()
