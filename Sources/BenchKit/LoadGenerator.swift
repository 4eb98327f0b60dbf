// LoadGenerator: many verifying clients on one kernel thread — the engine of `Bench load`.
//
// It is an event loop like Part 4's server, pointed the other way: non-blocking sockets, one
// epoll, each client's progress kept as data (`LoadConnection`). One thread is enough to keep
// 10,000 connections busy, and it keeps the generator from needing more CPU than the servers it
// measures. Connections are opened in a sliding ramp (`rampBatch` at a time) so a burst of
// connects cannot overflow the server's listen backlog, and measurement starts only once every
// client has its greeting, so connection setup is never mixed into the message figures.
//
// Each client runs closed-loop: it sends one message, waits for the whole reply, checks every
// byte, and only then sends the next. Every failure is counted by kind in the `LoadReport`.

import CLinux
import Glibc
import Histogram
import ServerCore

final class LoadGenerator {
    let configuration: LoadConfiguration
    private let address: SocketAddress
    private let poll: EventPoll
    private var connections: [LoadConnection]
    private var report: LoadReport
    /// Latencies of the current second only, for the progress line.
    private var recentLatency = Histogram<UInt64>(highestTrackableValue: LoadReport.highestLatency, numberOfSignificantValueDigits: .two)
    private var recentMessages = 0

    private var phase = LoadPhase.connecting
    private var measurementEnds: UInt64 = 0
    private var nextToOpen = 0
    /// Connections connecting or awaiting their greeting.
    private var opening = 0
    private var greeted = 0
    /// Connections greeted and not failed since.
    private var active = 0
    /// Messages sent whose reply is not complete yet.
    private var outstanding = 0

    private let timeout: UInt64
    private let messageLength: Int
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
    private let message: UnsafeMutableBufferPointer<UInt8>

    init(_ configuration: LoadConfiguration) throws {
        self.configuration = configuration
        address = try SocketAddress(host: configuration.host, port: configuration.port)
        poll = try EventPoll(capacity: 4096)
        connections = Array(repeating: LoadConnection(), count: configuration.clients)
        report = LoadReport(configuration: configuration)
        timeout = MonotonicClock.nanoseconds(configuration.timeout)
        messageLength = configuration.messageBytes + 2
        message = .allocate(capacity: messageLength)
    }

    deinit {
        for connection in connections where connection.fd >= 0 { Glibc.close(connection.fd) }
        input.deallocate()
        message.deallocate()
    }

    /// Runs the whole load (setup, then measurement or holding) and returns what it measured.
    /// Call once.
    func run(hooks: LoadHooks = LoadHooks()) throws -> LoadReport {
        signal(SIGPIPE, SIG_IGN)  // belt and braces: every send also passes MSG_NOSIGNAL
        let second: UInt64 = 1_000_000_000
        let setupStarted = MonotonicClock.nanosecondsNow()
        var phaseStarted = setupStarted
        var nextTick = setupStarted + second
        var nextScan = setupStarted
        var cpuAtStart: UInt64 = 0
        hooks.phaseStarted(.connecting)
        while true {
            var now = MonotonicClock.nanosecondsNow()
            if phase == .connecting {
                openMore(now)
                if nextToOpen == configuration.clients && opening == 0 {
                    report.setupSeconds = Double(now - setupStarted) / 1e9
                    phase = configuration.idle ? .holding : .measuring
                    hooks.phaseStarted(phase)
                    now = MonotonicClock.nanosecondsNow()
                    phaseStarted = now
                    cpuAtStart = MonotonicClock.threadCPUTime()
                    nextTick = now + second
                    measurementEnds = now + MonotonicClock.nanoseconds(configuration.duration)
                    if phase == .measuring { startEveryClient(now) }
                }
            } else if phase != .draining && (now >= measurementEnds || active == 0) {
                report.measuredSeconds = Double(min(now, measurementEnds) - phaseStarted) / 1e9
                report.generatorCPUSeconds = Double(MonotonicClock.threadCPUTime() - cpuAtStart) / 1e9
                hooks.measurementEnded()
                measurementEnds = min(measurementEnds, now)
                phase = .draining
                hooks.phaseStarted(.draining)
            }
            if phase == .draining && outstanding == 0 { break }
            if now >= nextTick && phase != .draining {
                hooks.tick(progress(seconds: Int((now - phaseStarted) / second)))
                recentMessages = 0
                recentLatency.reset()
                nextTick += second
            }
            if now >= nextScan {
                expireDeadlines(now)
                nextScan = now + 20_000_000  // deadlines are checked every 20 ms
            }
            var wakeAt = min(nextTick, nextScan)
            if phase == .measuring || phase == .holding { wakeAt = min(wakeAt, measurementEnds) }
            let waitMilliseconds = wakeAt > now ? Int32((wakeAt - now + 999_999) / 1_000_000) : 0
            try poll.wait(timeoutMilliseconds: waitMilliseconds) { token, events in
                handle(Int(token), events: events)
            }
        }
        report.clientsGreeted = greeted
        closeAll()
        return report
    }

    private func progress(seconds: Int) -> LoadProgress {
        LoadProgress(
            phase: phase, seconds: seconds, clientsGreeted: greeted, clientsWanted: configuration.clients,
            clientsActive: active, messages: recentMessages,
            p99: recentLatency.totalCount == 0 ? 0 : recentLatency.valueAtPercentile(99),
            errors: report.totalErrors)
    }

    // MARK: Opening connections

    // snippet: ramp
    /// Opens connections until `rampBatch` of them are connecting or awaiting their greeting.
    /// Called on every turn of the loop during setup, so the ramp slides: each greeting lets
    /// the next connection start.
    private func openMore(_ now: UInt64) {
        while nextToOpen < configuration.clients && opening < configuration.rampBatch {
            open(nextToOpen, now)
            nextToOpen += 1
        }
    }
    // end snippet

    private func open(_ index: Int, _ now: UInt64) {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 {
            fail(index, .connect, SystemCallError("socket(2)", code: errno).description)
            return
        }
        connections[index].fd = fd
        connections[index].deadline = now + timeout
        opening += 1
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result == 0 {
            connections[index].state = .awaitingGreeting
            watch(index, events: EPOLLIN.rawValue, add: true)
        } else if errno == EINPROGRESS {
            connections[index].state = .connecting
            watch(index, events: EPOLLOUT.rawValue, add: true)
        } else {
            connections[index].state = .connecting
            fail(index, .connect, SystemCallError("connect(2)", code: errno).description)
        }
    }

    /// A non-blocking connect has finished, one way or the other.
    private func finishConnecting(_ index: Int) {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(connections[index].fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { code = errno }
        if code != 0 {
            fail(index, .connect, SystemCallError("connect(2)", code: code).description)
            return
        }
        connections[index].state = .awaitingGreeting
        watch(index, events: EPOLLIN.rawValue, add: false)
    }

    private func receivedGreeting(_ index: Int, _ bytes: UnsafeRawBufferPointer) {
        guard bytes[0] == ProtocolMachine.greeting else {
            fail(index, .greeting, "expected '*' (0x2A) first, got \(hex(bytes[0]))")
            return
        }
        opening -= 1
        greeted += 1
        active += 1
        connections[index].state = .ready
        if bytes.count > 1 {
            fail(index, .wrongByte, "\(bytes.count - 1) unexpected bytes after the greeting, first \(hex(bytes[1]))")
        }
    }

    // MARK: Messages

    private func startEveryClient(_ now: UInt64) {
        for index in connections.indices where connections[index].state == .ready {
            connections[index].messageStart = MessagePattern.firstStart(forClient: index)
            sendMessage(index, now)
        }
    }

    // snippet: closed-loop
    /// Starts client `index`'s next message: the clock starts now, and the client sends nothing
    /// else until the whole reply is in and checked (closed loop).
    private func sendMessage(_ index: Int, _ now: UInt64) {
        outstanding += 1
        connections[index].state = .inMessage
        connections[index].bytesSent = 0
        connections[index].repliesVerified = 0
        connections[index].sentAt = now
        connections[index].deadline = now + timeout
        continueSending(index)
    }

    /// A message's reply is complete and correct: record its round trip, and go again while the
    /// measurement lasts. (Replies still due when it ends are awaited and checked, not counted.)
    private func completeMessage(_ index: Int, _ now: UInt64) {
        outstanding -= 1
        if now < measurementEnds {
            let latency = min(now - connections[index].sentAt, LoadReport.highestLatency)
            _ = report.latency.record(latency)
            _ = recentLatency.record(latency)
            report.messages += 1
            recentMessages += 1
        }
        connections[index].messagesCompleted += 1
        connections[index].messageStart = MessagePattern.nextStart(
            after: connections[index].messageStart, payloadBytes: configuration.messageBytes)
        connections[index].state = .ready
        if now < measurementEnds { sendMessage(index, now) }
    }
    // end snippet

    /// Writes as much of the current message as the socket takes; watches for writability if
    /// it did not take it all.
    private func continueSending(_ index: Int) {
        let connection = connections[index]
        MessagePattern.write(start: connection.messageStart, payloadBytes: configuration.messageBytes, into: message)
        var sent = connection.bytesSent
        while sent < messageLength {
            let written = Glibc.send(connection.fd, message.baseAddress! + sent, messageLength - sent, Int32(MSG_NOSIGNAL))
            if written >= 0 {
                sent += written
                continue
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            connections[index].bytesSent = sent
            fail(index, .reset, "\(SystemCallError("send(2)", code: errno)) during message \(connection.messagesCompleted + 1)")
            return
        }
        connections[index].bytesSent = sent
        let wantWritable = sent < messageLength
        if wantWritable != connection.watchingWritable {
            connections[index].watchingWritable = wantWritable
            watch(index, events: EPOLLIN.rawValue | (wantWritable ? EPOLLOUT.rawValue : 0), add: false)
        }
        if !wantWritable && connections[index].repliesVerified == configuration.messageBytes {
            completeMessage(index, MonotonicClock.nanosecondsNow())
        }
    }

    // snippet: verify-reply
    /// Checks each reply byte against the byte the protocol demands. The first wrong one ends
    /// this client with an error that says which byte of which message it was.
    private func verifyReply(_ index: Int, _ bytes: UnsafeRawBufferPointer) {
        let start = connections[index].messageStart
        var verified = connections[index].repliesVerified
        for byte in bytes {
            guard verified < configuration.messageBytes else {
                fail(index, .wrongByte, "more reply bytes than message \(connections[index].messagesCompleted + 1) earned (\(hex(byte)) after all \(verified))")
                return
            }
            let expected = MessagePattern.expectedReply(start: start, offset: verified)
            guard byte == expected else {
                fail(index, .wrongByte, "reply byte \(verified + 1) of \(configuration.messageBytes) in message \(connections[index].messagesCompleted + 1): expected \(hex(expected)), got \(hex(byte))")
                return
            }
            verified += 1
        }
        connections[index].repliesVerified = verified
        if verified == configuration.messageBytes && connections[index].bytesSent == messageLength {
            completeMessage(index, MonotonicClock.nanosecondsNow())
        }
    }
    // end snippet

    // MARK: Events

    private func handle(_ index: Int, events: UInt32) {
        switch connections[index].state {
        case .connecting:
            finishConnecting(index)
        case .awaitingGreeting, .ready, .inMessage:
            if events & EPOLLOUT.rawValue != 0 && connections[index].state == .inMessage {
                continueSending(index)
            }
            if events & (EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
                readAvailable(index)
            }
        case .unopened, .closed:
            break  // a stale event for a connection closed earlier in this batch
        }
    }

    /// One read per event (epoll is level-triggered: anything left is reported again).
    private func readAvailable(_ index: Int) {
        let state = connections[index].state
        guard state != .closed else { return }
        let count = Glibc.recv(connections[index].fd, input.baseAddress, input.count, 0)
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            let error = SystemCallError("read(2)", code: errno)
            fail(index, state == .awaitingGreeting ? .greeting : .reset, "\(error)\(whereInConversation(index))")
            return
        }
        if count == 0 {
            fail(index, state == .awaitingGreeting ? .greeting : .reset,
                 "the server closed the connection\(whereInConversation(index))")
            return
        }
        let bytes = UnsafeRawBufferPointer(rebasing: input[..<count])
        switch state {
        case .awaitingGreeting:
            receivedGreeting(index, bytes)
        case .inMessage:
            verifyReply(index, bytes)
        default:
            fail(index, .wrongByte, "\(count) bytes arrived while no message was outstanding, first \(hex(bytes[0]))")
        }
    }

    /// Ends every connection whose connect, greeting or reply is overdue.
    private func expireDeadlines(_ now: UInt64) {
        let seconds = Units.decimal(configuration.timeout, digits: 1)
        for index in connections.indices where connections[index].deadline <= now {
            switch connections[index].state {
            case .connecting:
                fail(index, .connect, "connect(2) not answered within \(seconds) s")
            case .awaitingGreeting:
                fail(index, .greeting, "no greeting within \(seconds) s")
            case .inMessage:
                fail(index, .timeout, "\(connections[index].repliesVerified) of \(configuration.messageBytes) reply bytes of message \(connections[index].messagesCompleted + 1) within \(seconds) s")
            default:
                break
            }
        }
    }

    // MARK: Bookkeeping

    /// Records an error for client `index` and closes its connection; the other clients go on.
    private func fail(_ index: Int, _ kind: LoadReport.ErrorKind, _ description: String) {
        switch connections[index].state {
        case .connecting, .awaitingGreeting: opening -= 1
        case .ready: active -= 1
        case .inMessage:
            active -= 1
            outstanding -= 1
        case .unopened, .closed: break
        }
        report.recordError(kind, "client \(index + 1): \(description)")
        if connections[index].fd >= 0 {
            Glibc.close(connections[index].fd)  // closing also removes it from the epoll set
            connections[index].fd = -1
        }
        connections[index].state = .closed
    }

    private func whereInConversation(_ index: Int) -> String {
        let connection = connections[index]
        switch connection.state {
        case .awaitingGreeting: return " before the greeting"
        case .inMessage: return " after \(connection.repliesVerified) of \(configuration.messageBytes) reply bytes of message \(connection.messagesCompleted + 1)"
        default: return " after \(connection.messagesCompleted) messages"
        }
    }

    private func watch(_ index: Int, events: UInt32, add: Bool) {
        do {
            if add {
                try poll.add(connections[index].fd, events: events, token: UInt64(index))
            } else {
                try poll.modify(connections[index].fd, events: events, token: UInt64(index))
            }
        } catch {
            fail(index, phase == .connecting ? .connect : .reset, "\(error)")
        }
    }

    private func closeAll() {
        for index in connections.indices where connections[index].fd >= 0 {
            Glibc.close(connections[index].fd)
            connections[index].fd = -1
            connections[index].state = .closed
        }
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }
}
