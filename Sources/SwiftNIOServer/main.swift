// SwiftNIOServer: the protocol on SwiftNIO, the way a NIO user writes a server (Chapter 7).
//
// NIO's MultiThreadedEventLoopGroup is Part 4's EventLoop, one per thread: epoll, a run queue
// of tasks, timers. A Channel is Part 4's Connection (socket, output buffer, registration); its
// ChannelPipeline is the list of handlers the loop calls with each event; ProtocolHandler.swift
// is the one handler that owns the protocol machine. This file is the plumbing around them: the
// options every server shares, the listening socket (ServerCore's, handed to NIO), and the
// graceful shutdown, driven from this main thread with sigwait as Parts 1 to 3 do.

import ArgumentParser
import Glibc
import NIOCore
import NIOPosix
import ServerCore

struct SwiftNIOServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "SwiftNIOServer",
        abstract: "Serves every client on SwiftNIO event loops (Chapter 7).")

    @OptionGroup var server: ServerOptions

    @Option(help: "Event loops (threads). 1 compares with Part 4's single loop.")
    var threads: Int = 1

    @Option(help: "Reads NIO makes from one client per readiness event (ChannelOptions.maxMessagesPerRead).")
    var maxMessagesPerRead: UInt = 4

    @Option(help: "Close a client after this many seconds without a byte from it. Default: never.")
    var idleTimeout: Double?

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        guard maxMessagesPerRead >= 1 else { throw ValidationError("--max-messages-per-read must be at least 1.") }
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive.") }
    }

    func run() throws {
        // Blocked before NIO starts its threads, which inherit the mask: the signals wait for
        // this thread's sigwait instead of interrupting anybody.
        var signals = blockSignals([SIGINT, SIGTERM])
        let listener = try openListeners(server, count: 1)[0]  // ignores SIGPIPE, prints nothing yet
        let stats = ServerStats()
        let channels = LiveChannels()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let serverChannel = try makeBootstrap(group: group, stats: stats, channels: channels)
            .withBoundSocket(listener.fd).wait()
        // Only now, with every loop's epoll, eventfd and timerfd open and the listener registered:
        // a client (or a test counting our descriptors) that reads this line finds us ready.
        try announce(listener)

        let first = waitForSignal(&signals, timeout: nil)!
        drain(after: first, signals: &signals, serverChannel: serverChannel, stats: stats, channels: channels)
        try group.syncShutdownGracefully()  // every loop has finished its work, every line is out
        Log.plain(stats.summaryLine)  // the last line, worded as every server words it
    }

    // snippet: bootstrap
    private func makeBootstrap(group: MultiThreadedEventLoopGroup, stats: ServerStats, channels: LiveChannels) -> ServerBootstrap {
        let idleTimeout = self.idleTimeout
        return ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Out of descriptors, accept(2) fails at once while a client waits, and a level-
                    // triggered loop would retry it in a tight loop: back off a second instead.
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler())
                    try channel.pipeline.syncOperations.addHandler(AcceptErrorLogger(stats: stats))
                }
            }
            .childChannelOption(.maxMessagesPerRead, value: maxMessagesPerRead)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let idleTimeout {
                        let timeout = TimeAmount.nanoseconds(Int64(idleTimeout * 1e9))
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ProtocolHandler(stats: stats, channels: channels, idleTimeout: idleTimeout))
                }
            }
    }
    // end snippet

    /// First signal: stop accepting, let clients finish for up to --drain-timeout (a second
    /// signal ends the wait at once), then close whoever is left and wait until they are closed.
    private func drain(after signal: Int32, signals: inout sigset_t, serverChannel: any Channel,
                       stats: ServerStats, channels: LiveChannels) {
        let name = signalName(signal)
        try? serverChannel.close().wait()  // new clients are refused from now on
        Log.line("\(name): no longer accepting; letting \(stats.connected) clients finish (up to \(server.drainTimeout) s)")
        let deadline = MonotonicClock.now() + server.drainTimeout
        while stats.connected > 0 {
            let remaining = deadline - MonotonicClock.now()
            if remaining <= 0 {
                Log.line("drain timeout: closing \(stats.connected) client connections")
                break
            }
            // Wakes at least every 20 ms to see whether the last client has left.
            if waitForSignal(&signals, timeout: min(remaining, 0.02)) != nil {
                Log.line("\(name) again: closing the remaining connections now")
                break
            }
        }
        let open = channels.all
        for channel in open { channel.pipeline.fireUserInboundEventTriggered(ServerShutdownEvent()) }
        for channel in open { try? channel.closeFuture.wait() }
    }
}

/// Waits for SIGINT or SIGTERM (blocked in every thread) for up to `timeout` seconds, or for
/// ever; returns the signal, or nil on timeout.
private func waitForSignal(_ signals: inout sigset_t, timeout: Double?) -> Int32? {
    while true {
        var info = siginfo_t()
        let result: Int32
        if let timeout {
            var wait = timespec(tv_sec: Int(timeout), tv_nsec: Int((timeout - timeout.rounded(.down)) * 1e9))
            result = sigtimedwait(&signals, &info, &wait)
        } else {
            result = sigwaitinfo(&signals, &info)
        }
        if result > 0 { return result }
        if errno == EAGAIN { return nil }  // timed out; EINTR: wait again
    }
}

private func signalName(_ signal: Int32) -> String {
    signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
}

SwiftNIOServer.main()
