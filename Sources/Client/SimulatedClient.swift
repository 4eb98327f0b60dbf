// SimulatedClient: one client's whole session, the way the original series' client plays it.
//
// It connects, waits for the greeting, then sends each chunk of the script `--interval` apart
// and reads after each one until it holds the reply the protocol predicts. It notes three
// moments — when it arrived, when the server greeted it, when it left — because the gap between
// the first two is how long a server kept it waiting, and that gap is what each chapter's
// timeline shows shrinking. Every wait has a deadline, and every surprise is a `ClientFailure`.

import Glibc
import Harness  // Deadline and the timed connect
import ServerCore

/// When one client arrived, was greeted and left, in seconds since the run started.
struct SessionTimes: Sendable, Equatable {
    /// The client began to connect.
    var arrived: Double
    /// The greeting arrived: from here on a server was talking to this client.
    var greeted: Double
    /// The client closed its connection.
    var departed: Double
}

/// One simulated client. `run()` blocks its thread for the whole session.
struct SimulatedClient: Sendable {
    /// `conn1`, `conn2`, ...: the name on its log lines and its timeline row.
    let name: String
    let host: String
    let port: UInt16
    let script: SessionScript
    /// Seconds from one chunk's send to the next's.
    let interval: Double
    /// Longest wait, in seconds, for the connection, the greeting or any one reply.
    let timeout: Double
    /// The monotonic time the run started; the times this client reports count from it.
    let origin: Double
    /// Seconds to stay connected and silent after the greeting, before the first chunk.
    var hold: Double = 0
    /// Where the client's lines go: timestamped to standard output, or to a test's recorder.
    var log: @Sendable (String) -> Void = { Log.line($0) }

    /// Plays the session and logs one line per event. A failure is logged too, and returned.
    func run() -> Result<SessionTimes, ClientFailure> {
        do {
            return .success(try playSession())
        } catch {
            let failure = error as? ClientFailure ?? ClientFailure(client: name, reason: .ioFailed(error: "\(error)"))
            log("\(name) FAILED: \(failure)")
            return .failure(failure)
        }
    }

    private func playSession() throws -> SessionTimes {
        let arrived = secondsSinceOrigin()
        let socket = try connect()
        let greeted: Double
        do {
            log("\(name) connected")
            try receive([ProtocolMachine.greeting], waitingFor: .greeting, from: socket)
            greeted = secondsSinceOrigin()
            if hold > 0 {
                log("\(name) holding the connection idle for \(hold) s")
                sleep(until: MonotonicClock.now() + hold)
            }
            try converse(over: socket)
        } catch {
            socket.close()
            throw error
        }
        log("\(name) disconnecting")
        socket.close()
        return SessionTimes(arrived: arrived, greeted: greeted, departed: secondsSinceOrigin())
    }

    // snippet: client-conversation
    /// Sends each chunk, `interval` after the previous one, and checks the reply it earns.
    private func converse(over socket: Socket) throws {
        var lastSent = MonotonicClock.now()
        for (index, (chunk, expected)) in zip(script.chunks, script.expectedReplies).enumerated() {
            if index > 0 { sleep(until: lastSent + interval) }
            lastSent = MonotonicClock.now()
            log("\(name) sending \(quoted(chunk))")
            try socket.writeAll(chunk)
            try receive(expected, waitingFor: .reply(to: chunk, expected: expected), from: socket)
        }
    }

    /// Reads until exactly `expected` has arrived. Each read is logged as it comes, so a reply
    /// the server split over several writes shows as several lines.
    private func receive(_ expected: [UInt8], waitingFor awaited: ClientFailure.Awaited, from socket: Socket) throws {
        let deadline = Deadline(secondsFromNow: timeout)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < expected.count {
            guard try socket.waitForInput(before: deadline) else {
                throw failure(.timedOut(waitingFor: awaited, seconds: timeout, received: received))
            }
            let count = try buffer.withUnsafeMutableBytes { try socket.read(into: $0) }
            if count == 0 { throw failure(.closedEarly(waitingFor: awaited, received: received)) }
            log("\(name) received \(quoted(buffer[..<count]))")
            received += buffer[..<count]
            // Checked as bytes arrive, so a wrong (or extra) byte is reported now, not as a timeout.
            if !expected.starts(with: received) {
                throw failure(.wrongReply(waitingFor: awaited, expected: expected, received: received))
            }
        }
    }
    // end snippet

    private func connect() throws -> Socket {
        do {
            guard let socket = try Socket.connect(host: host, port: port, before: Deadline(secondsFromNow: timeout)) else {
                throw failure(.timedOut(waitingFor: .connection(host: host, port: port), seconds: timeout, received: []))
            }
            return socket
        } catch let error as SystemCallError where error.code == ECONNREFUSED {
            throw failure(.refused(host: host, port: port, error: "\(error)"))
        } catch let error as ClientFailure {
            throw error
        } catch {
            throw failure(.cannotConnect(host: host, port: port, error: "\(error)"))
        }
    }

    private func failure(_ reason: ClientFailure.Reason) -> ClientFailure {
        ClientFailure(client: name, reason: reason)
    }

    private func secondsSinceOrigin() -> Double {
        MonotonicClock.now() - origin
    }

    private func sleep(until instant: Double) {
        while true {  // a loop: usleep may end early on a signal, and takes at most ~71 minutes
            let left = instant - MonotonicClock.now()
            if left <= 0 { return }
            usleep(useconds_t(min(left * 1e6, 1e9)))
        }
    }
}
