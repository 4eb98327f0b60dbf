// GreenSocketTests: socket calls that park a green thread instead of the kernel thread.

import Glibc
import ServerCore
import StateThreads
import Testing

/// A connected pair of non-blocking, close-on-exec Unix sockets.
func socketPair() throws -> (GreenSocket, GreenSocket) {
    var fds: [Int32] = [0, 0]
    let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    try retryingOnInterrupt("socketpair(2)") { socketpair(AF_UNIX, type, 0, &fds) }
    return (try GreenSocket(adopting: Socket(fd: fds[0])), try GreenSocket(adopting: Socket(fd: fds[1])))
}

@Suite("StateThreads: green sockets")
struct GreenSocketTests {
    @Test("a read with a timeout throws timedOut when nothing arrives, no earlier than the timeout")
    func readTimeout() throws {
        var outcome: String?
        var elapsed = 0.0
        try Scheduler.run {
            let (left, right) = try socketPair()
            defer { left.close(); right.close() }
            let start = MonotonicClock.now()
            var buffer = [UInt8](repeating: 0, count: 16)
            do {
                _ = try buffer.withUnsafeMutableBytes { try left.read(into: $0, timeout: .milliseconds(50)) }
                outcome = "read"
            } catch {
                outcome = "\(error)"
            }
            elapsed = MonotonicClock.now() - start
        }
        #expect(outcome == "timed out")
        #expect(elapsed >= 0.050)
    }

    @Test("a blocked read lets other threads run, and returns when the peer writes")
    func readParksOnlyTheGreenThread() throws {
        var log: [String] = []
        try Scheduler.run {
            let (left, right) = try socketPair()
            defer { left.close(); right.close() }
            let reader = try Scheduler.spawn {
                var buffer = [UInt8](repeating: 0, count: 16)
                let count = (try? buffer.withUnsafeMutableBytes { try left.read(into: $0, timeout: .seconds(30)) }) ?? -1
                log.append("read \(String(decoding: buffer[..<max(count, 0)], as: UTF8.self))")
            }
            let writer = try Scheduler.spawn {
                log.append("writer runs while the reader waits")
                try? Scheduler.sleep(for: .milliseconds(20))
                try? right.write(Array("hello".utf8))
                log.append("wrote")
            }
            reader.join()
            writer.join()
        }
        #expect(log == ["writer runs while the reader waits", "wrote", "read hello"])
    }

    @Test("interrupt wakes a thread blocked in read")
    func interruptRead() throws {
        var outcome: String?
        try Scheduler.run {
            let (left, right) = try socketPair()
            defer { left.close(); right.close() }
            let reader = try Scheduler.spawn {
                var buffer = [UInt8](repeating: 0, count: 16)
                do {
                    _ = try buffer.withUnsafeMutableBytes { try left.read(into: $0) }
                    outcome = "read"
                } catch {
                    outcome = "\(error)"
                }
            }
            Scheduler.yield()  // the reader is parked on the socket
            reader.interrupt()
            reader.join()
        }
        #expect(outcome == "interrupted")
    }

    @Test("a write larger than the socket buffer completes while the reader drains it")
    func writeWaitsForRoom() throws {
        let size = 4 * 1024 * 1024
        var received = 0
        var checksum = 0
        try Scheduler.run {
            let (left, right) = try socketPair()
            defer { left.close(); right.close() }
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let writer = try Scheduler.spawn {
                try? left.write(bytes)
                try? left.shutdown(Int32(SHUT_WR))
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = try buffer.withUnsafeMutableBytes { try right.read(into: $0) }
                if count == 0 { break }
                for byte in buffer[..<count] { checksum = checksum &+ Int(byte) }
                received += count
            }
            writer.join()
        }
        #expect(received == size)
        #expect(checksum == (0..<size).reduce(0) { $0 &+ Int(UInt8(truncatingIfNeeded: $1 &* 7)) })
    }

    @Test("accept and connect over loopback: 200 green clients echo through one green server")
    func acceptAndConnect() throws {
        let clients = 200
        var answers = 0
        try Scheduler.run {
            let listener = try GreenSocket.listen(host: "127.0.0.1", port: 0, backlog: 512)
            defer { listener.close() }
            let port = try listener.socket.localAddress().port
            let server = try Scheduler.spawn {
                for _ in 0..<clients {
                    guard let (client, _) = try? listener.accept(timeout: .seconds(30)) else { return }
                    _ = try? Scheduler.spawn {
                        defer { client.close() }
                        var buffer = [UInt8](repeating: 0, count: 64)
                        while let count = try? buffer.withUnsafeMutableBytes({ try client.read(into: $0) }), count > 0 {
                            try? client.write(buffer[..<count].map { $0 &+ 1 })
                        }
                    }
                }
            }
            var threads: [GreenThread] = []
            for index in 0..<clients {
                threads.append(try Scheduler.spawn {
                    guard let socket = try? GreenSocket.connect(host: "127.0.0.1", port: port, timeout: .seconds(30)) else { return }
                    defer { socket.close() }
                    let message = Array("client \(index)".utf8)
                    try? socket.write(message)
                    var reply: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 64)
                    while reply.count < message.count,
                          let count = try? buffer.withUnsafeMutableBytes({ try socket.read(into: $0, timeout: .seconds(30)) }),
                          count > 0 {
                        reply += buffer[..<count]
                    }
                    if reply == message.map({ $0 &+ 1 }) { answers += 1 }
                })
            }
            threads.forEach { $0.join() }
            server.join()
        }
        #expect(answers == clients)
    }

    @Test("connect to a port nobody listens on fails with ECONNREFUSED")
    func connectRefused() throws {
        var failure: SystemCallError?
        try Scheduler.run {
            // A port that was just free: bind, read the port, close.
            let probe = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 1)
            let port = try probe.localAddress().port
            probe.close()
            do {
                _ = try GreenSocket.connect(host: "127.0.0.1", port: port, timeout: .seconds(10))
            } catch let error as SystemCallError {
                failure = error
            }
        }
        #expect(failure == SystemCallError("connect(2)", code: ECONNREFUSED))
    }
}
