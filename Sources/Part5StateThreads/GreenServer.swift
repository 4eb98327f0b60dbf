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
    /// What a server on one scheduler needs to know besides its listener.
    struct Configuration {
        var idleTimeout: Duration?
        var drainTimeout: Double
        /// The CPU a complete message costs (`--work`, Chapter 8).
        var work: CPUWork = .none
        /// Starts this scheduler's log lines, e.g. `[scheduler 1] ` when there are several.
        var logPrefix = ""
    }

    private let listener: GreenSocket
    private let signals: SignalDescriptor
    private let stats: ServerStats
    private let configuration: Configuration
    /// Tells every scheduler about a signal any one of them read (Chapter 8).
    private let relay: SignalRelay
    /// An eventfd the relay writes to; the watcher waits on it. Opened and closed by main.
    private let wakeFD: Int32
    private var signalsHandled = 0

    /// The green threads of the clients being served.
    private var clients: Set<GreenThread> = []
    private var listening = true
    private var draining = false
    private var acceptor: GreenThread?
    private var signalWatcher: GreenThread?
    private var signalReader: GreenThread?
    /// Set when an accept failure has been logged; a shortage that lasts is logged once.
    private var shortageLogged = false
    /// Signalled whenever a client leaves, for an accept loop waiting for descriptors.
    private let clientLeft = GreenCondition()
    private let clientLeftMutex = GreenMutex()

    init(
        listener: GreenSocket, signals: SignalDescriptor, stats: ServerStats, configuration: Configuration,
        relay: SignalRelay, wakeFD: Int32
    ) {
        self.listener = listener
        self.signals = signals
        self.stats = stats
        self.configuration = configuration
        self.relay = relay
        self.wakeFD = wakeFD
        relay.register(wakeDescriptor: wakeFD)
    }

    /// Runs the accept loop on the calling green thread, after starting the signal watcher.
    func run() {
        acceptor = GreenThread.current
        do {
            signalReader = try Scheduler.spawn { [self] in relaySignals() }
            signalWatcher = try Scheduler.spawn { [self] in watchSignals() }
        } catch {
            Log.line("\(configuration.logPrefix)cannot start the signal watcher: \(error); SIGINT and SIGTERM will not stop this server")
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
            Log.line("\(configuration.logPrefix)\(error); \(clients.count) clients connected; accepting again when one leaves")
            shortageLogged = true
        }
        clientLeftMutex.withLock {
            _ = try? clientLeft.wait(clientLeftMutex, timeout: .seconds(1))  // interrupted: shutdown
        }
    }

    // snippet: start-session
    private func startSession(_ client: GreenSocket, peer: SocketAddress) {
        stats.clientConnected()
        Log.line("\(configuration.logPrefix)\(peer) connected (\(clients.count + 1) active)")
        do {
            let thread = try Scheduler.spawn { [self] in
                let summary = serve(client, idleTimeout: configuration.idleTimeout, work: configuration.work)  // straight-line, like Part 2
                endSession(client, peer: peer, summary: summary)
            }
            clients.insert(thread)
        } catch {
            // No stack for another green thread: turn this one client away, keep serving the rest.
            client.close()
            stats.clientDisconnected(bytesAnswered: 0)
            Log.line("\(configuration.logPrefix)\(peer) closed without service: \(error)")
        }
    }

    private func endSession(_ client: GreenSocket, peer: SocketAddress, summary: SessionSummary) {
        if let me = GreenThread.current { clients.remove(me) }
        client.close()
        stats.clientDisconnected(bytesAnswered: summary.bytesOut)
        Log.line("\(configuration.logPrefix)\(peer) disconnected (\(summary.description))")
        clientLeft.signal()
        if draining && clients.isEmpty { signalWatcher?.interrupt() }  // the drain is over
    }
    // end snippet

    // snippet: shutdown
    /// The signal watcher's green thread: waits for SIGINT/SIGTERM (relayed), then drains.
    private func watchSignals() {
        defer {
            signalReader?.interrupt()  // the scheduler ends when its last green thread does
            Scheduler.forgetDescriptor(wakeFD)  // main closes it, once every scheduler is done
        }
        guard let signal = try? nextSignal() else { return }
        let prefix = configuration.logPrefix
        listening = false
        acceptor?.interrupt()  // its accept throws at once, and it never touches the listener again
        listener.close()  // new clients are refused from now on
        ShutdownLog.stoppedAccepting(after: signal, clients: clients.count, drainTimeout: configuration.drainTimeout, prefix: prefix)
        draining = true
        let deadline = MonotonicClock.now() + configuration.drainTimeout
        while !clients.isEmpty {
            let remaining = deadline - MonotonicClock.now()
            do {
                // A second signal ends the drain at once; the last client to leave interrupts us.
                let again = try nextSignal(timeout: .milliseconds(Int(max(remaining, 0) * 1000)))
                ShutdownLog.signalledAgain(again, prefix: prefix)
                break
            } catch GreenThreadError.interrupted {
                continue  // a client left; the loop checks whether it was the last
            } catch GreenThreadError.timedOut {
                ShutdownLog.drainTimedOut(clients: clients.count, prefix: prefix)
                break
            } catch {
                Log.line("\(prefix)cannot wait for signals: \(error); closing the remaining connections now")
                break
            }
        }
        for client in clients { client.interrupt() }  // their blocked reads and writes throw
    }
    // end snippet

    // snippet: relay-signals
    /// The signal reader's green thread: whichever scheduler reads a signal from its signalfd
    /// first (they all see it pending) tells every scheduler, this one included, through the relay.
    private func relaySignals() {
        defer { signals.close() }
        while let signal = try? signals.next() {  // interrupted once this scheduler's drain is over
            relay.announce(signal)
        }
    }

    /// Waits for the next signal the relay has for this scheduler. Throws
    /// `GreenThreadError.timedOut` or `.interrupted` like any other green wait.
    private func nextSignal(timeout: Duration? = nil) throws -> Int32 {
        while true {
            if let signal = relay.signals(after: signalsHandled).first {
                signalsHandled += 1
                return signal
            }
            try Scheduler.waitUntilReadable(wakeFD, timeout: timeout)
            drainEventDescriptor(wakeFD)
        }
    }
    // end snippet
}
