// ThreadPool: a fixed number of worker pthreads serving the clients the accept loop hands them.
//
// Chapter 2's server made one thread per client, with no upper bound. Here the threads are made
// once, at start-up, and each runs the same loop: take the next client from a `BlockingQueue`,
// serve it to the end, take the next. N workers serve at most N clients at once, whatever the
// load; the queue holds a few more that have been accepted and wait their turn; and when the
// queue is full the accept loop stops accepting, so everybody else waits in the kernel's
// backlog (admission control: the server degrades by making clients wait, not by running out of
// threads or memory). Shutting down closes the queue, which ends every worker's loop.

import Glibc
import ServerCore

/// A client the accept loop has accepted and not yet handed to a worker.
struct AcceptedClient: Sendable {
    let socket: Socket
    let peer: SocketAddress
    /// When it was accepted (`MonotonicClock.now()`), to tell how long it waited in the queue.
    let acceptedAt: Double
}

final class ThreadPool: Sendable {
    let threadCount: Int
    private let queue: BlockingQueue<AcceptedClient>
    private let workers: [JoinableThread<Void>]

    // snippet: start-workers
    /// Starts `threads` workers serving the clients `submit` queues (at most `queueCapacity`
    /// waiting at once). If a thread cannot be started, stops those already running and throws.
    init(threads: Int, queueCapacity: Int, clients: LiveClients, stats: ServerStats, work: CPUWork = .none) throws {
        let queue = BlockingQueue<AcceptedClient>(capacity: queueCapacity)
        var workers: [JoinableThread<Void>] = []
        do {
            for id in 1...threads {
                workers.append(try JoinableThread {
                    ThreadPool.work(id: id, queue: queue, clients: clients, stats: stats, cpu: work)
                })
            }
        } catch {
            queue.close()
            for worker in workers { worker.join() }
            throw error
        }
        self.threadCount = threads
        self.queue = queue
        self.workers = workers
    }
    // end snippet

    // snippet: worker-loop
    /// The loop every worker thread runs until the queue is closed. `serveClient` reports every
    /// way a session can fail (a reset, a broken pipe) as a value and logs it, so one client's
    /// error ends that client's session and the worker goes on to the next.
    private static func work(
        id: Int, queue: BlockingQueue<AcceptedClient>, clients: LiveClients, stats: ServerStats, cpu: CPUWork
    ) {
        while let client = queue.pop() {
            let waited = MonotonicClock.now() - client.acceptedAt
            Log.line("worker \(id) serving \(client.peer) (waited \(tenths(waited)) s in the queue)")
            serveClient(client.socket, peer: client.peer, clients: clients, stats: stats, work: cpu)
            queue.markDone()  // this worker is free again
        }
    }
    // end snippet

    // snippet: admission
    /// Returns as soon as the queue has room for one more client, and `false` once the pool is
    /// closed. While every worker is busy and the queue is full, it blocks, so the accept loop
    /// stops accepting and new clients wait in the kernel's backlog. Logs when that starts and
    /// when it ends.
    func waitForRoom() -> Bool {
        // Clients queued plus clients being served: at its maximum every worker is busy and the
        // queue is full. (A full queue with a worker about to take a client is a passing
        // moment; `waitForRoom` sits it out without a word.)
        guard queue.unfinishedCount == threadCount + queue.capacity else { return queue.waitForRoom() }
        Log.line("pool saturated (\(threadCount) of \(threadCount) workers busy, queue of \(queue.capacity) full); "
            + "new clients wait in the kernel backlog")
        guard queue.waitForRoom() else { return false }
        Log.line("pool has room again; accepting")
        return true
    }
    // end snippet

    /// Queues `client` for the next free worker. Returns `false` if the pool was closed.
    func submit(_ client: AcceptedClient) -> Bool {
        queue.push(client)
    }

    /// Stops handing out clients: idle workers wake up and finish, busy ones finish after their
    /// current client. Returns the clients that were still waiting; they were never served.
    func close() -> [AcceptedClient] {
        queue.close()
    }

    /// Waits until every worker thread has finished. Call after `close`.
    func join() {
        for worker in workers { worker.join() }
    }
}

/// `1.234` as `1.2`: enough precision for a log line about waiting.
private func tenths(_ seconds: Double) -> String {
    let tenths = Int((seconds * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}
