// FuzzSelfTests: the fuzz test still catches the bug it was written for, whatever state the real
// servers are in.
//
// Once every server is right, the fuzz test passes on all of them, and a passing test says
// nothing about whether it could fail. So it is also run against a server written here to be
// wrong in Part 5's old way, made certain: one thread, `poll`, and one read buffer for every
// client, into which it reads each ready client before answering any of them. A client is then
// answered from another client's bytes whenever two have input at the same time. The fuzz test
// must say so: a wrong reply byte, with the seed and the client.

import Glibc
import Harness
import ServerCore
import Synchronization
import Testing

@Suite("Many-client fuzz: the test catches cross-talk")
struct FuzzSelfTests {
    @Test("reports a server that answers one client from another client's bytes, with the seed and the client")
    func catchesCrossTalk() throws {
        let seed = ManyClientFuzzTests.fixedSeeds[0]
        let report = try withCrossTalkServer { port in
            try ManyClientFuzzTests.drive(FuzzRunScript.shared(seed: seed), port: port, server: "CrossTalkServer")
        }
        let text = try #require(report, "the fuzz test passed a server that reads every client into one buffer")
        #expect(text.contains("CrossTalkServer, seed \(describeSeed(seed)), client "), "\(text)")
        #expect(text.contains(" differs: ") || text.contains("one too many") || text.contains("closed the connection after"),
                "the report should name a wrong, extra or missing reply byte: \(text)")
        #expect(!text.contains("stuck"), "\(text)")
    }
}

/// Starts the broken server on a port of its own on a thread of its own, runs `body` with the
/// port, then stops the server (within 100 ms) and joins its thread.
func withCrossTalkServer<Result>(_ body: (UInt16) throws -> Result) throws -> Result {
    let listener = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 64)
    let port: UInt16
    do {
        port = try listener.localAddress().port
    } catch {
        listener.close()
        throw error
    }
    let stop = StopFlag()
    let thread: BackgroundThread
    do {
        thread = try BackgroundThread { serveWithOneSharedBuffer(listener, until: stop) }
    } catch {
        listener.close()
        throw error
    }
    defer {
        stop.flag.store(true, ordering: .relaxed)
        try? thread.join()
        listener.close()
    }
    return try body(port)
}

private final class StopFlag: Sendable {
    let flag = Atomic<Bool>(false)
}

/// The broken server's loop: the protocol is right (it is `ReferenceModel`'s), the bytes it is
/// applied to are not.
private func serveWithOneSharedBuffer(_ listener: Socket, until stop: StopFlag) {
    var buffer = [UInt8](repeating: 0, count: 65_536)  // one buffer for every client: the bug
    var clients: [Int32: ReferenceModel] = [:]
    func drop(_ fd: Int32) {
        clients[fd] = nil
        Glibc.close(fd)
    }
    defer { clients.keys.forEach { Glibc.close($0) } }
    while !stop.flag.load(ordering: .relaxed) {
        var entries = [pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)]
            + clients.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&entries, nfds_t(entries.count), 100) > 0 else { continue }
        if entries[0].revents != 0 {
            let fd = accept(listener.fd, nil, nil)
            if fd >= 0 {
                // Close-on-exec at once (the harness's spawn closes stray descriptors as well).
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                // A client that stops reading fails this one-thread server's send after 10 s
                // instead of stopping it for good.
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                clients[fd] = ReferenceModel()
                if !sendAll(fd, [ReferenceModel.greeting]) { drop(fd) }
            }
        }
        // Every ready client is read into the one buffer first...
        var reads: [(fd: Int32, count: Int)] = []
        for entry in entries.dropFirst() where entry.revents != 0 {
            reads.append((entry.fd, buffer.withUnsafeMutableBytes { Glibc.read(entry.fd, $0.baseAddress, $0.count) }))
        }
        // ...and each is then answered from what the buffer holds by now: the last read's bytes.
        for (fd, count) in reads {
            guard count > 0, var model = clients[fd] else {
                drop(fd)  // end of stream, a reset, or an error: this client is done
                continue
            }
            var reply: [UInt8] = []
            for byte in buffer[..<count] {
                if let answer = model.answer(byte) { reply.append(answer) }
            }
            clients[fd] = model
            if !sendAll(fd, reply) { drop(fd) }
        }
    }
}

/// Sends every byte (blocking, at most 10 s without progress); false if the client has gone.
private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let sent = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 && errno == EINTR { continue }
            if sent < 0 { return false }
            offset += sent
        }
        return true
    }
}
