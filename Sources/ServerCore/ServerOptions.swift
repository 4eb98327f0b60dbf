// ServerOptions: the command-line options every server shares, and how every server starts.
//
// Each Part embeds these with `@OptionGroup`, so `--port`, `--host`, `--backlog`, `--drain-timeout` and
// `--work` mean the same everywhere and `--help` documents them. `startListening` is the common opening: ignore
// SIGPIPE, listen, and print `listening on HOST:PORT` as the very first line of output, which is
// how the tests and scripts learn the port after starting a server with `--port 0`.

import ArgumentParser
import Glibc

public struct ServerOptions: ParsableArguments, Sendable {
    @Option(help: "TCP port to listen on; 0 lets the kernel pick a free one.")
    public var port: UInt16 = 9090

    @Option(help: "Address to listen on, e.g. 127.0.0.1, 0.0.0.0 or ::1.")
    public var host: String = "127.0.0.1"

    // A burst of connections larger than the backlog is not refused: with SYN cookies on (the
    // Linux default) the overflow's handshakes complete on the client's side but are silently
    // dropped on ours, and a client that waits for our greeting waits forever. 4096 (capped by
    // net.core.somaxconn) absorbs the bursts the client simulator and the benchmarks make.
    @Option(help: "Length of the kernel's queue of connections not yet accepted (capped by net.core.somaxconn).")
    public var backlog: Int32 = 4096

    @Option(help: "On SIGINT/SIGTERM, seconds to let connected clients finish before their sockets are shut down.")
    public var drainTimeout: Double = 5

    @Option(help: "Microseconds of CPU each complete message costs before its replies go out (Chapter 8).")
    public var work: Int = 0

    @Option(help: "Only every N-th message of a connection costs --work (Chapter 8).")
    public var workEvery: Int = 1

    @Option(help: "Hash rounds per microsecond for --work, instead of calibrating at start-up (Bench passes its own).")
    public var workCalibration: Double?

    public init() {}

    public func validate() throws {
        guard backlog > 0 else { throw ValidationError("--backlog must be at least 1.") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must not be negative.") }
        guard work >= 0 else { throw ValidationError("--work must not be negative.") }
        guard workEvery >= 1 else { throw ValidationError("--work-every must be at least 1.") }
        if let workCalibration, !(workCalibration > 0) { throw ValidationError("--work-calibration must be positive.") }
    }

    /// The work `--work` and `--work-every` ask for, calibrated (a few milliseconds) if there is any.
    public func makeWork() -> CPUWork {
        CPUWork(microseconds: work, every: workEvery, roundsPerMicrosecond: workCalibration)
    }
}

// snippet: start-listening
/// Opens the listening socket every server starts with and announces it.
public func startListening(_ options: ServerOptions) throws -> Socket {
    // A write to a peer that has gone away raises SIGPIPE, whose default action kills the
    // whole process. Ignored, the write fails with EPIPE instead, and only that client ends.
    signal(SIGPIPE, SIG_IGN)
    let listener = try Socket.listen(host: options.host, port: options.port, backlog: options.backlog)
    let address = try listener.localAddress()
    Log.plain("listening on \(address)")
    return listener
}
// end snippet

// snippet: open-listeners
/// Opens `count` listening sockets on one port, each with its own accept queue, for a server
/// with one event loop or scheduler per core (Chapter 8). With SO_REUSEPORT on each, the kernel
/// hands every new connection to one of them, chosen by a hash of the connection's addresses and
/// ports. The first socket may ask for port 0; the others join the port it was given. Prints
/// nothing: the server calls `announce` once everything is ready.
public func openListeners(_ options: ServerOptions, count: Int) throws -> [Socket] {
    signal(SIGPIPE, SIG_IGN)  // as in startListening
    let sharing = count > 1
    var listeners = [try Socket.listen(host: options.host, port: options.port, backlog: options.backlog, sharingPort: sharing)]
    do {
        let port = try listeners[0].localAddress().port
        for _ in 1..<max(count, 1) {
            listeners.append(try Socket.listen(host: options.host, port: port, backlog: options.backlog, sharingPort: true))
        }
    } catch {
        for listener in listeners { listener.close() }
        throw error
    }
    return listeners
}
// end snippet

/// Prints `listening on HOST:PORT` for `listener`, the line tests and scripts wait for.
public func announce(_ listener: Socket) throws {
    Log.plain("listening on \(try listener.localAddress())")
}
