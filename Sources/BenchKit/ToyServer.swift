// ToyServer: a thread-per-client server inside Bench that can write its replies badly on purpose.
//
// The reference C servers sent each reply byte with its own `send`. On loopback that meets two
// well-meant TCP features: Nagle's algorithm (the sender holds back a small segment while an
// earlier one is unacknowledged) and delayed ACKs (the receiver waits up to ~40 ms before
// acknowledging, hoping to piggyback the ACK on data of its own). A client waiting for the rest
// of a reply has nothing to send, so both sides wait on each other. Our servers write all the
// replies of one read with one `write`; this server can do either, so `Bench nagle-demo` can
// measure the difference instead of asserting it.

import ArgumentParser
import CLinux
import Glibc
import ServerCore

final class ToyServer: Sendable {
    enum ReplyWrites: String, CaseIterable, ExpressibleByArgument, Sendable {
        /// All the replies one read earned, in one `write` (what every Part does).
        case perRead = "per-read"
        /// Each reply byte in its own `write` (what the reference C servers did).
        case perByte = "per-byte"
    }

    let listener: Socket
    let port: UInt16
    let writes: ReplyWrites
    /// Sets TCP_NODELAY on every client socket, switching Nagle's algorithm off.
    let noDelay: Bool

    init(writes: ReplyWrites, noDelay: Bool, host: String = "127.0.0.1", port: UInt16 = 0) throws {
        listener = try Socket.listen(host: host, port: port, backlog: 1024)
        self.port = try listener.localAddress().port
        self.writes = writes
        self.noDelay = noDelay
    }

    /// Accepts clients on a background thread until `stop()`.
    func start() throws {
        try startDetachedThread { [self] in acceptClients() }
    }

    /// Accepts clients on the calling thread until `stop()`; each client gets its own thread.
    func acceptClients() {
        signal(SIGPIPE, SIG_IGN)
        while true {
            // accept4 with SOCK_CLOEXEC: a process spawned meanwhile (a server `compare` starts,
            // a parallel test's) must not inherit the client and keep its connection open.
            let fd = accept4(listener.fd, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                listener.close()  // stop() shut it down (EINVAL); nobody else uses it
                return
            }
            let client = Socket(fd: fd)
            if noDelay { try? client.setOption(Int32(IPPROTO_TCP), Int32(TCP_NODELAY), 1) }
            do {
                try startDetachedThread { [self] in
                    serve(client)
                    client.close()
                }
            } catch {
                client.close()
            }
        }
    }

    /// Stops accepting (connected clients are served until they leave).
    func stop() {
        try? listener.shutdown(Int32(SHUT_RDWR))
    }

    private func serve(_ client: Socket) {
        var machine = ProtocolMachine()
        var input = [UInt8](repeating: 0, count: 4096)
        var reply: [UInt8] = []
        do {
            try client.writeAll([ProtocolMachine.greeting])
            while true {
                let count = try input.withUnsafeMutableBytes { try client.read(into: $0) }
                if count == 0 { return }
                reply.removeAll(keepingCapacity: true)
                machine.feed(input[..<count], into: &reply)
                try send(reply, to: client)
            }
        } catch {
            return  // this client's end, nobody else's
        }
    }

    // snippet: reply-writes
    private func send(_ reply: [UInt8], to client: Socket) throws {
        switch writes {
        case .perRead:
            if !reply.isEmpty { try client.writeAll(reply) }  // one write(2) for the whole read
        case .perByte:
            for byte in reply { try client.writeAll([byte]) }  // one write(2) per reply byte
        }
    }
    // end snippet
}
