// ManyClientFuzzTests: many clients at once, each with its own random script, every reply byte
// checked against an independent model of the protocol.
//
// The other conformance tests drive one client at a time, so a server that mixes up its clients'
// bytes passes them all: Part 5 did, reading every client into one shared buffer and yielding
// between that read and its use (issue 10). Here 8 to 10 clients connect at once, and each sends
// its own script (FuzzScript.swift) in random splits with random pauses while a second thread
// drains and checks its replies, sometimes slowly, so megabytes go out unread. Every reply byte
// must be the one `ReferenceModel` (not `ProtocolMachine`, which is under test) computes from that
// client's own script, and the server must close each connection after the last one, with nothing
// more. Part 1 (one client at a time) and Part 3 (four workers) serve some clients only after
// others have left; every script is finite, so they all get their turn.
//
// Seeds: `fixedSeeds` run in every `swift test`. `FUZZ_SEED=0x…` runs that seed instead (a failure
// prints the line to use); `FUZZ_SECONDS=N` runs random seeds for N seconds per server, or, with
// `FUZZ_SEED`, that seed again and again; `FUZZ_SERVER=Part4Epoll` fuzzes that server only. A
// replay repeats every client's script, splits and pauses; how the clients interleave in the
// server is up to the scheduler, so a failure that depends on it may take a few replays.
//
// Nothing waits unbounded: connecting has TestClient's 10 s limit, every send and receive is
// non-blocking, and every wait is a `poll` of 100 ms at a time, which gives up when no client of
// the run has moved a byte for `stallTimeout` seconds, when the run passes `runTimeout`, or when
// another client has already failed.

import Glibc
import Harness
import ServerCore
import Synchronization
import Testing

@Suite("Many-client fuzz: every client's bytes stay its own")
struct ManyClientFuzzTests {
    /// The seeds every `swift test` runs, on every server. Against Part 5's old shared buffer,
    /// 0x5EED_0002 and 0xC0FF_EE42 each caught it in 6 runs out of 6 and 0x0010_0010 in 4 of 6,
    /// on a busy machine and an idle one; the list as a whole caught it in every run.
    static let fixedSeeds: [UInt64] = [0x5EED_0002, 0x0010_0010, 0xC0FF_EE42]

    /// No client of a run moved a byte for this long: something is stuck.
    static let stallTimeout = 20.0
    /// A run (about 4 MB) takes seconds; this is the backstop for one that trickles on forever.
    static let runTimeout = 240.0

    @Test("8-10 clients at once, random scripts; every reply byte equals the reference model's", arguments: Servers.withVariants)
    func manyClientsAtOnce(server name: String) throws {
        if let only = FuzzSeeds.environment("FUZZ_SERVER") {
            guard Servers.withVariants.contains(only) else {
                throw HarnessError("FUZZ_SERVER=\(only) is none of \(Servers.withVariants)")
            }
            if only != name { try Test.cancel("FUZZ_SERVER=\(only): fuzzing that server only") }
        }
        var seeds = try FuzzSeeds.fromEnvironment()
        var runs = 0
        var bytes = 0
        while let seed = seeds.next() {
            let script = seeds.repeatsSeeds ? FuzzRunScript.shared(seed: seed) : FuzzRunScript(seed: seed)
            let failure: String?
            do {
                failure = try Self.run(script, on: name)
            } catch {
                throw HarnessError("\(name), fuzz seed \(describeSeed(seed)): \(error)\n\(replayHint(seed, name))")
            }
            if let failure {
                Issue.record(Comment(rawValue: failure))
                return
            }
            runs += 1
            bytes += script.totalBytes
        }
        if seeds.isTimed {
            print("fuzz \(name): \(runs) runs, \(bytes / 1_000_000) MB sent, \(Int(seeds.elapsed)) s, every reply byte as the model says")
        }
        #expect(runs > 0, "no seed ran")
    }

    /// Runs one seed against a fresh server. Returns nil if every client got exactly its replies,
    /// else the failure report.
    static func run(_ script: FuzzRunScript, on name: String) throws -> String? {
        try withServer(variant: name) { server in
            if let report = try drive(script, port: server.port, server: name) { return report }

            // Still there, and still serving.
            guard server.isRunning else { throw HarnessError("every client got its replies, but the server has gone") }
            let next = try TestClient.connectAndGreet(port: server.port)
            defer { next.close() }
            try next.runSeedVector()
            try next.expectNoStrayReplies()
            return nil
        }
    }

    /// Connects every client of `script` to the server on `port`, runs their writers and readers
    /// to the end, and returns the failure report, or nil if every client got exactly its replies
    /// and then the end of the stream.
    static func drive(_ script: FuzzRunScript, port: UInt16, server name: String) throws -> String? {
        let sockets = try script.clients.map { _ in try TestClient.connect(port: port) }
        defer { sockets.forEach { $0.reset() } }  // after a clean run the server has closed them all already
        let run = FuzzRun(server: name, seed: script.seed, clients: zip(script.clients, sockets).map {
            FuzzClient(script: $0, connection: $1)
        })
        var threads: [BackgroundThread] = []
        do {
            for client in run.clients {
                threads.append(try BackgroundThread { run.guarded(client, "writer") { try run.write(client) } })
                threads.append(try BackgroundThread { run.guarded(client, "reader") { try run.read(client) } })
            }
        } catch {
            run.aborted.store(true, ordering: .sequentiallyConsistent)  // the started ones stop within 100 ms
            for thread in threads { try? thread.join() }
            throw error
        }
        for thread in threads { try thread.join() }  // `guarded` catches everything, so nothing is thrown here
        return run.report()
    }
}

// MARK: - Seeds

/// Which seeds a test run uses, from `FUZZ_SEED` and `FUZZ_SECONDS`.
struct FuzzSeeds {
    private var fixed: [UInt64]
    private let seconds: Double?
    private let repeated: UInt64?
    private let started = ContinuousClock.now

    static func fromEnvironment() throws -> FuzzSeeds {
        let seed = try environment("FUZZ_SEED").map { text in
            guard let seed = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text) else {
                throw HarnessError("FUZZ_SEED=\(text) is not a number (decimal, or hex with 0x)")
            }
            return seed
        }
        let seconds = try environment("FUZZ_SECONDS").map { text in
            guard let seconds = Double(text), seconds > 0 else { throw HarnessError("FUZZ_SECONDS=\(text) is not a positive number") }
            return seconds
        }
        return FuzzSeeds(fixed: seed.map { [$0] } ?? ManyClientFuzzTests.fixedSeeds, seconds: seconds, repeated: seed)
    }

    var isTimed: Bool { seconds != nil }

    /// Whether the seeds are the fixed list or one seed (so worth keeping their scripts), not fresh random ones.
    var repeatsSeeds: Bool { seconds == nil || repeated != nil }

    var elapsed: Double {
        let (whole, attoseconds) = started.duration(to: .now).components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// The next seed to run, or nil when done.
    mutating func next() -> UInt64? {
        guard let seconds else { return fixed.isEmpty ? nil : fixed.removeFirst() }
        guard elapsed < seconds else { return nil }
        return repeated ?? UInt64.random(in: 0...UInt64.max)
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// `0x5eed0001`: how seeds are printed and how `FUZZ_SEED` takes them.
func describeSeed(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

private func replayHint(_ seed: UInt64, _ server: String) -> String {
    "replay: FUZZ_SEED=\(describeSeed(seed)) FUZZ_SERVER=\(server) swift test --filter ManyClientFuzzTests (add FUZZ_SECONDS=30 to repeat it for 30 s)"
}

// MARK: - One run

/// A failure to report: what went wrong, worded for the report.
private struct FuzzFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Another client has failed: stop quietly, its report is the one that matters.
private struct FuzzAborted: Error {}

/// One client's connection, script, expected replies and progress.
final class FuzzClient: Sendable {
    let script: FuzzClientScript
    let connection: TestClient
    /// Every byte the server must send this client, greeting first.
    let expected: [UInt8]
    let sent = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let sentAll = Atomic<Bool>(false)

    init(script: FuzzClientScript, connection: TestClient) {
        self.script = script
        self.connection = connection
        expected = script.expected
    }

    var fd: Int32 { connection.socket.fd }

    var status: String {
        let sent = sent.load(ordering: .relaxed)
        let received = received.load(ordering: .relaxed)
        return "client \(script.index): sent \(sent) of \(script.bytes.count)\(sentAll.load(ordering: .relaxed) ? " and closed its side" : ""), "
            + "received \(received) of \(expected.count) reply bytes\(received == 0 ? " (not greeted yet)" : "")"
    }
}

/// The clients of one run, and what the run has seen so far.
// @unchecked Sendable: `failures`, the one variable, is read and written with `failuresLock` held;
// everything else is a constant or an atomic.
final class FuzzRun: @unchecked Sendable {
    let server: String
    let seed: UInt64
    let clients: [FuzzClient]
    /// Bytes moved by every client together, in either direction: the stall watch's clock.
    let progress = Atomic<Int>(0)
    let aborted = Atomic<Bool>(false)
    // A pthread mutex (ServerCore's Lock), which ThreadSanitizer knows (see FuzzRunScript.made).
    private let failuresLock = Lock()
    private var failures: [String] = []
    private let deadline = Deadline(secondsFromNow: ManyClientFuzzTests.runTimeout)

    init(server: String, seed: UInt64, clients: [FuzzClient]) {
        self.server = server
        self.seed = seed
        self.clients = clients
    }

    /// Runs one side of one client, turning whatever it throws into a recorded failure, and
    /// stopping every other client at the first one.
    func guarded(_ client: FuzzClient, _ side: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch is FuzzAborted {
            return
        } catch let failure as FuzzFailure {
            fail("client \(client.script.index) of \(clients.count) (\(side)): \(failure.message)")
        } catch {
            fail("client \(client.script.index) of \(clients.count) (\(side)): \(error)")
        }
    }

    private func fail(_ message: String) {
        failuresLock.withLock { failures.append(message) }
        aborted.store(true, ordering: .sequentiallyConsistent)
    }

    /// The report of a failed run, nil if none failed.
    func report() -> String? {
        let failures = failuresLock.withLock { self.failures }
        guard let first = failures.first else { return nil }
        var report = "fuzz failure on \(server), seed \(describeSeed(seed)), \(first)\n\(replayHint(seed, server))"
        if failures.count > 1 {
            report += "\nafter it, \(failures.count - 1) more: "
                + failures.dropFirst().prefix(4).map { String($0.prefix { $0 != "\n" }) }.joined(separator: "; ")
        }
        report += "\nclients at the end: " + clients.map(\.status).joined(separator: "; ")
        return report
    }

    // MARK: The writer

    /// Sends the client's script in the writer schedule's splits and pauses, then closes its
    /// side (FIN), which tells the server this client has no more.
    func write(_ client: FuzzClient) throws {
        var schedule = WriterSchedule(seed: client.script.writerSeed)
        var watch = StallWatch(self)
        if client.script.waitsForGreeting {
            while client.received.load(ordering: .relaxed) == 0 {
                try watch.check(client, "waiting for the greeting before sending")
                usleep(1000)
            }
        }
        try client.script.bytes.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + schedule.nextSplit())
                while offset < end {
                    let count = Glibc.send(client.fd, bytes.baseAddress! + offset, end - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    if count >= 0 {
                        offset += count
                        client.sent.store(offset, ordering: .relaxed)
                        progress.add(count, ordering: .relaxed)
                        continue
                    }
                    switch errno {
                    case EINTR: continue
                    case EAGAIN, EWOULDBLOCK: try wait(client, for: Int16(POLLOUT), &watch, "sending script byte \(offset)")
                    default:
                        throw FuzzFailure("send(2) failed after \(offset) of \(bytes.count) script bytes: \(SystemCallError("send(2)", code: errno))")
                    }
                }
                let pause = schedule.nextPause()
                if pause > 0 { usleep(pause) }
                if aborted.load(ordering: .relaxed) { throw FuzzAborted() }
            }
        }
        try client.connection.socket.shutdown(Int32(SHUT_WR))
        client.sentAll.store(true, ordering: .relaxed)
    }

    // MARK: The reader

    /// Reads the replies in the reader schedule's sizes and pauses, checks every byte against the
    /// expected replies as it arrives, and at the end of the stream checks none is missing.
    func read(_ client: FuzzClient) throws {
        var schedule = ReaderSchedule(seed: client.script.readerSeed)
        var watch = StallWatch(self)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var tail: [UInt8] = []  // the last bytes received before this read, for context
        var received = 0
        let expected = client.expected
        while true {
            let wanted = schedule.nextReadSize()
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(client.fd, $0.baseAddress, wanted, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                let chunk = buffer[..<count]
                let matching = min(count, expected.count - received)
                let same = matching == count && expected.withUnsafeBytes { expected in
                    chunk.withUnsafeBytes { memcmp($0.baseAddress!, expected.baseAddress! + received, count) == 0 }
                }
                if !same {
                    let index = (0..<count).first { received + $0 >= expected.count || chunk[$0] != expected[received + $0] }!
                    throw FuzzFailure(mismatch(client, at: received + index, got: tail + chunk, gotStart: received - tail.count))
                }
                received += count
                tail = Array((tail + chunk).suffix(16))
                client.received.store(received, ordering: .relaxed)
                progress.add(count, ordering: .relaxed)
                let pause = schedule.nextPause()
                if pause > 0 { usleep(pause) }
                if aborted.load(ordering: .relaxed) { throw FuzzAborted() }
                continue
            }
            if count == 0 {
                if received < expected.count {
                    throw FuzzFailure("the server closed the connection after \(received) of \(expected.count) expected reply bytes; "
                        + "the next expected: \(context(expected, at: received)); \(client.status)")
                }
                return
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                try wait(client, for: Int16(POLLIN), &watch, received < expected.count
                    ? "waiting for reply byte \(received) of \(expected.count)"
                    : "waiting for the server to close the connection after the last reply byte")
            default:
                throw FuzzFailure("recv(2) failed after \(received) of \(expected.count) reply bytes: \(SystemCallError("recv(2)", code: errno)); \(client.status)")
            }
        }
    }

    /// The report of a wrong (or extra) reply byte: where, what, and what the script said there.
    private func mismatch(_ client: FuzzClient, at index: Int, got: [UInt8], gotStart: Int) -> String {
        let expected = client.expected
        let gotByte = got[index - gotStart]
        var lines: [String] = []
        if index >= expected.count {
            lines.append("reply byte \(index) is one too many: got \(describe(gotByte)), but the model expects only \(expected.count) bytes")
        } else {
            lines.append("reply byte \(index) of \(expected.count) differs: got \(describe(gotByte)), expected \(describe(expected[index]))")
            lines.append("  expected: \(context(expected, at: index))")
        }
        lines.append("  received: \(context(got, at: index - gotStart, offset: gotStart))")
        if let source = ReferenceModel.scriptOffset(ofReply: index, in: client.script.bytes) {
            lines.append("  that reply answers script byte \(source): \(context(client.script.bytes, at: source))")
        }
        lines.append("  \(client.status)")
        return lines.joined(separator: "\n")
    }

    // MARK: Waiting

    /// Waits until `client`'s socket is ready for `events`, 100 ms at a time, with the stall watch on.
    private func wait(_ client: FuzzClient, for events: Int16, _ watch: inout StallWatch, _ doing: @autoclosure () -> String) throws {
        while true {
            try watch.check(client, doing())
            var entry = pollfd(fd: client.fd, events: events, revents: 0)
            let ready = poll(&entry, 1, 100)
            if ready > 0 { return }  // ready, or an error or hang-up the next call will report
            if ready < 0 && errno != EINTR { throw FuzzFailure("poll(2) failed: \(SystemCallError("poll(2)", code: errno))") }
        }
    }

    /// Fails a wait once no client of the run has moved a byte for `stallTimeout` seconds, or the
    /// run has passed its deadline; stops it quietly once another client has failed.
    struct StallWatch {
        private let run: FuzzRun
        private var lastProgress: Int
        private var since: Deadline

        init(_ run: FuzzRun) {
            self.run = run
            lastProgress = run.progress.load(ordering: .relaxed)
            since = Deadline(secondsFromNow: ManyClientFuzzTests.stallTimeout)
        }

        mutating func check(_ client: FuzzClient, _ doing: @autoclosure () -> String) throws {
            if run.aborted.load(ordering: .relaxed) { throw FuzzAborted() }
            let progress = run.progress.load(ordering: .relaxed)
            if progress != lastProgress {
                lastProgress = progress
                since = Deadline(secondsFromNow: ManyClientFuzzTests.stallTimeout)
            } else if since.hasPassed {
                throw FuzzFailure("stuck \(doing()): no client of the run has sent or received a byte for \(Int(ManyClientFuzzTests.stallTimeout)) s")
            }
            if run.deadline.hasPassed {
                throw FuzzFailure("stuck \(doing()): the run is still going after \(Int(ManyClientFuzzTests.runTimeout)) s")
            }
        }
    }
}

// MARK: - Describing bytes

/// `0x44 'D'`, or `0x0a` for a byte that does not print.
private func describe(_ byte: UInt8) -> String {
    let code = "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
    return (0x20...0x7E).contains(byte) ? "\(code) '\(String(UnicodeScalar(byte)))'" : code
}

/// Up to 16 bytes either side of `bytes[index]`, in hex with that byte in brackets, then as text
/// (`.` for bytes that do not print): `bytes 100..<133: 61 62 [63] 64 "ab[c]d"`. `offset` is the
/// stream position of `bytes[0]`, for the numbers shown.
private func context(_ bytes: [UInt8], at index: Int, offset: Int = 0) -> String {
    let range = max(0, index - 16)..<min(bytes.count, index + 17)
    guard !range.isEmpty else { return "(none: the stream ends at byte \(index + offset))" }
    let hexBytes = range.map { position in
        let byte = bytes[position]
        let text = (byte < 16 ? "0" : "") + String(byte, radix: 16)
        return position == index ? "[\(text)]" : text
    }
    let text = range.map { position in
        let byte = bytes[position]
        let character = (0x20...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "."
        return position == index ? "[\(character)]" : character
    }
    return "bytes \(range.lowerBound + offset)..<\(range.upperBound + offset): \(hexBytes.joined(separator: " ")) \"\(text.joined())\""
}
