// MisbehavingServer: an in-test server that gets the protocol wrong in one chosen way.
//
// The load generator's job is to notice. Each fault below is one the reference C servers or a
// buggy Part could commit — a wrong byte, a dropped connection, no greeting — and the tests
// check the generator reports it as the right kind of error. `.correct` is the control: the
// real `serveConnection` from ServerCore, which must produce no error at all.
//
// Tests run in parallel in one process and other suites spawn server processes, so every
// descriptor here is close-on-exec (accept4 with SOCK_CLOEXEC): a spawned child inheriting a
// client socket would hold the connection open after this server closes it.

import CLinux
import Foundation
import Glibc
import ServerCore

// @unchecked Sendable: `held` is only touched with `lock` held; everything else is immutable.
final class MisbehavingServer: @unchecked Sendable {
    enum Fault: Sendable, CustomStringConvertible {
        /// Serves the protocol correctly.
        case correct
        /// Serves correctly, except that reply byte number `n` (from 1, counted over the
        /// connection) is off by one.
        case corruptReplyByte(Int)
        /// Greets, reads the first message, sends half its reply, and closes the connection.
        case dropMidReply
        /// Like `dropMidReply`, but aborts the connection (SO_LINGER 0: the client gets a reset).
        case resetMidReply
        /// Accepts and never sends anything.
        case neverGreet
        /// Sends `!` instead of `*`.
        case wrongGreeting
        /// Greets, then reads and never replies.
        case neverReply

        var description: String {
            switch self {
            case .correct: "correct"
            case .corruptReplyByte(let n): "corrupts reply byte \(n)"
            case .dropMidReply: "closes mid-reply"
            case .resetMidReply: "resets mid-reply"
            case .neverGreet: "never greets"
            case .wrongGreeting: "greets with the wrong byte"
            case .neverReply: "never replies"
            }
        }
    }

    let fault: Fault
    let listener: Socket
    let port: UInt16
    private let lock = NSLock()
    private var held: [Socket] = []

    init(_ fault: Fault) throws {
        signal(SIGPIPE, SIG_IGN)
        self.fault = fault
        listener = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 128)
        port = try listener.localAddress().port
        let thread = Thread { [self] in acceptClients() }
        thread.start()
    }

    /// Stops accepting and closes every connection still held.
    func stop() {
        try? listener.shutdown(Int32(SHUT_RDWR))
        lock.lock()
        let sockets = held
        held.removeAll()
        lock.unlock()
        for socket in sockets { socket.close() }
    }

    private func acceptClients() {
        while true {
            let fd = accept4(listener.fd, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                listener.close()
                return
            }
            let client = Socket(fd: fd)
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ client: Socket) {
        switch fault {
        case .correct:
            _ = serveConnection(client)
            client.close()
        case .corruptReplyByte(let target):
            serveCorrupting(client, target: target)
            client.close()
        case .dropMidReply, .resetMidReply:
            serveHalfAReply(client)
        case .neverGreet:
            hold(client)
        case .wrongGreeting:
            try? client.writeAll([UInt8(ascii: "!")])
            hold(client)
        case .neverReply:
            try? client.writeAll([ProtocolMachine.greeting])
            var buffer = [UInt8](repeating: 0, count: 4096)
            while let count = try? buffer.withUnsafeMutableBytes({ try client.read(into: $0) }), count > 0 {}
            client.close()
        }
    }

    /// Keeps the connection open, silent, until `stop()`.
    private func hold(_ client: Socket) {
        lock.lock()
        held.append(client)
        lock.unlock()
    }

    private func serveCorrupting(_ client: Socket, target: Int) {
        var machine = ProtocolMachine()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var sent = 0
        do {
            try client.writeAll([ProtocolMachine.greeting])
            while true {
                let count = try buffer.withUnsafeMutableBytes { try client.read(into: $0) }
                if count == 0 { return }
                var reply = machine.feed(buffer[..<count])
                if sent < target && target <= sent + reply.count {
                    reply[target - sent - 1] &+= 1
                }
                sent += reply.count
                if !reply.isEmpty { try client.writeAll(reply) }
            }
        } catch {
            return
        }
    }

    private func serveHalfAReply(_ client: Socket) {
        var machine = ProtocolMachine()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var reply: [UInt8] = []
        try? client.writeAll([ProtocolMachine.greeting])
        // Read until the whole first message (up to its `$`) is in, so nothing unread is left
        // behind: closing with unread data would make the kernel send a reset anyway.
        var input: [UInt8] = []
        while !input.contains(ProtocolMachine.messageEnd) {
            guard let count = try? buffer.withUnsafeMutableBytes({ try client.read(into: $0) }), count > 0 else { break }
            input += buffer[..<count]
        }
        machine.feed(input, into: &reply)
        try? client.writeAll(Array(reply.prefix(reply.count / 2)))
        if case .resetMidReply = fault {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)  // close sends RST instead of FIN
            setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        client.close()
    }
}
