// BlockingServerLifecycle: everything a blocking server (Parts 1-3) does around its accept loop.
//
// Before the loop: block SIGINT and SIGTERM (first, before any thread exists: ShutdownSignal),
// open the listening socket and announce it, open the books every server keeps (LiveClients,
// ServerStats), and start the thread that turns a signal into a graceful shutdown. After the
// loop: wait for the drain, close the listener and print the summary line, last. The interlude
// after Chapter 3 (Chapters/03b-shutdown.md) explains all of it; Chapters 1 and 2 only need to
// know that `acceptNextClient` returns nil when their accept loops must end. Each Part's main.swift opens with its loop and hands it one of these.

public final class BlockingServerLifecycle: Sendable {
    /// The listening socket, announced with `listening on HOST:PORT`.
    public let listener: Socket
    /// The clients being served, for the drain (see `serveClient`).
    public let clients = LiveClients()
    /// The numbers the summary line reports (see `serveClient`).
    public let stats = ServerStats()
    /// The CPU each complete message costs with `--work` (Chapter 8); nothing by default.
    public let work: CPUWork
    private let shutdown: ShutdownSignal
    private let drainTimeout: Double

    /// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts later),
    /// then opens the listening socket. Call it first thing in `run`, before any thread exists.
    public init(_ options: ServerOptions) throws {
        shutdown = ShutdownSignal()  // first: blocks SIGINT/SIGTERM before any thread starts
        listener = try startListening(options)
        drainTimeout = options.drainTimeout
        work = options.makeWork()
    }

    /// Starts the signal thread: on SIGINT or SIGTERM it stops the listener accepting, calls
    /// `alsoWake` (Part 3 closes its pool there), and drains the clients for at most
    /// `--drain-timeout` seconds.
    public func startShutdownThread(alsoWake: @escaping @Sendable () -> Void = {}) throws {
        try shutdown.start(listener: listener, clients: clients, drainTimeout: drainTimeout, alsoWake: alsoWake)
    }

    /// Whether a shutdown has begun: `acceptNextClient` checks it when `accept` fails.
    public var isShuttingDown: Bool { shutdown.isRequested }

    // snippet: accept-next
    /// Waits for the next client and returns it, or nil once a shutdown has begun. Any other
    /// failed `accept` does not stop the server: it is logged and tried again.
    public func acceptNextClient() -> (client: Socket, peer: SocketAddress)? {
        while true {
            do {
                return try listener.accept()
            } catch {
                if isShuttingDown { return nil }  // the signal thread shut the listener down
                recoverFromAcceptFailure(error)
            }
        }
    }
    // end snippet

    /// After the accept loop has ended (and the Part has joined its own threads): waits for the
    /// drain, closes the listener, and prints the summary line as the last line of output.
    public func finish() {
        shutdown.waitForDrain()
        listener.close()
        Log.plain(stats.summaryLine)
    }
}
