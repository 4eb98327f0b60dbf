// GreenServer: the accept loop, one green thread per client, and the graceful shutdown.
//
// Everything here runs on one kernel thread, and a green thread is switched out only inside a
// call into the runtime (accept, read, write, a wait; a socket call may also yield for fairness
// when it did not wait). So the server's shared state — the set of clients, the flags — is plain
// properties with no lock: each update is made between two runtime calls, where nobody else
// runs. No client's bytes are shared: each session reads into a buffer on its own stack
// (ClientSession.swift). This is what State Threads means by "no mutual exclusion locking is necessary".
//
// Shutdown, as in the other Parts: the first SIGINT/SIGTERM (read from a signalfd by its own
// green thread) stops accepting and lets connected clients finish for up to --drain-timeout
// seconds; a second signal, or the timeout, interrupts the remaining client threads, whose
// blocked reads and writes then throw and end their sessions. When the last green thread has
// finished, Scheduler.run returns and main prints the summary.

import Glibc
import ServerCore
import StateThreads

final class GreenServer {
    private let listener: GreenSocket
    private let signals: SignalDescriptor
    private let stats: ServerStats
    private let idleTimeout: Duration?
    private let drainTimeout: Double

    /// The green threads of the clients being served.
    private var clients: Set<GreenThread> = []
    private var listening = true
    private var draining = false
    private var acceptor: GreenThread?
    private var signalWatcher: GreenThread?
    /// Set when an accept failure has been logged; a shortage that lasts is logged once.
    private var shortageLogged = false
    /// Signalled whenever a client leaves, for an accept loop waiting for descriptors.
    private let clientLeft = GreenCondition()
    private let clientLeftMutex = GreenMutex()

    init(listener: GreenSocket, signals: SignalDescriptor, stats: ServerStats, idleTimeout: Duration?, drainTimeout: Double) {
        self.listener = listener
        self.signals = signals
        self.stats = stats
        self.idleTimeout = idleTimeout
        self.drainTimeout = drainTimeout
    }

    /// Runs the accept loop on the calling green thread, after starting the signal watcher.
    func run() {
        acceptor = GreenThread.current
        do {
            signalWatcher = try Scheduler.spawn { [self] in watchSignals() }
        } catch {
            Log.line("cannot start the signal watcher: \(error); SIGINT and SIGTERM will not stop this server")
        }
        acceptClients()
    }

    // snippet: accept-loop
    private func acceptClients() {
        while listening {
            let client: GreenSocket
            let peer: SocketAddress
            do {
                (client, peer) = try listener.accept()  // parks this green thread until a client comes
            } catch GreenThreadError.interrupted {
                break  // shutdown: the signal watcher has closed the listener
            } catch let error as SystemCallError where [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.code) {
                waitForDescriptors(after: error)
                continue
            } catch {
                continue  // ECONNABORTED and friends: that one client reset while queued
            }
            shortageLogged = false
            startSession(client, peer: peer)
        }
    }
    // end snippet

    /// Out of descriptors: wait until a client leaves (or a second passes, in case the shortage
    /// is system-wide) before accepting again. The queued clients wait in the kernel meanwhile.
    private func waitForDescriptors(after error: SystemCallError) {
        if !shortageLogged {
            Log.line("\(error); \(clients.count) clients connected; accepting again when one leaves")
            shortageLogged = true
        }
        clientLeftMutex.withLock {
            _ = try? clientLeft.wait(clientLeftMutex, timeout: .seconds(1))  // interrupted: shutdown
        }
    }

    // snippet: start-session
    private func startSession(_ client: GreenSocket, peer: SocketAddress) {
        stats.clientConnected()
        Log.line("\(peer) connected (\(clients.count + 1) active)")
        do {
            let thread = try Scheduler.spawn { [self] in
                let summary = serve(client, idleTimeout: idleTimeout)  // straight-line, like Part 2
                endSession(client, peer: peer, summary: summary)
            }
            clients.insert(thread)
        } catch {
            // No stack for another green thread: turn this one client away, keep serving the rest.
            client.close()
            stats.clientDisconnected(bytesAnswered: 0)
            Log.line("\(peer) closed without service: \(error)")
        }
    }

    private func endSession(_ client: GreenSocket, peer: SocketAddress, summary: SessionSummary) {
        if let me = GreenThread.current { clients.remove(me) }
        client.close()
        stats.clientDisconnected(bytesAnswered: summary.bytesOut)
        Log.line("\(peer) disconnected (\(summary.description))")
        clientLeft.signal()
        if draining && clients.isEmpty { signalWatcher?.interrupt() }  // the drain is over
    }
    // end snippet

    // snippet: shutdown
    /// The signal watcher's green thread: waits for SIGINT/SIGTERM on the signalfd, then drains.
    private func watchSignals() {
        defer { signals.close() }
        guard let signal = try? signals.next() else { return }
        listening = false
        acceptor?.interrupt()  // its accept throws at once, and it never touches the listener again
        listener.close()  // new clients are refused from now on
        ShutdownLog.stoppedAccepting(after: signal, clients: clients.count, drainTimeout: drainTimeout)
        draining = true
        let deadline = MonotonicClock.now() + drainTimeout
        while !clients.isEmpty {
            let remaining = deadline - MonotonicClock.now()
            do {
                // A second signal ends the drain at once; the last client to leave interrupts us.
                let again = try signals.next(timeout: .milliseconds(Int(max(remaining, 0) * 1000)))
                ShutdownLog.signalledAgain(again)
                break
            } catch GreenThreadError.interrupted {
                continue  // a client left; the loop checks whether it was the last
            } catch GreenThreadError.timedOut {
                ShutdownLog.drainTimedOut(clients: clients.count)
                break
            } catch {
                Log.line("cannot read the signalfd: \(error); closing the remaining connections now")
                break
            }
        }
        for client in clients { client.interrupt() }  // their blocked reads and writes throw
    }
    // end snippet
}
