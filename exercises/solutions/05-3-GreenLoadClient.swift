// Exercise 05-3, reference solution: a load generator on green threads.
//
// Each client is the obvious blocking code — connect, read, write, read — on a green thread, so a
// thousand of them cost a thousand small stacks and one kernel thread. The counter needs no lock:
// green threads switch only inside calls into the runtime (a socket call, a wait, a join, a
// yield), and `successes += 1` makes none: it runs from start to end without another thread.

import ServerCore
import StateThreads

/// The seed vector: what each client sends, and the reply each chunk must earn.
let seedVector: [(send: String, reply: String)] = [
    ("^abc$de^abte$f", "bcdbcuf"),
    ("xyz^123", "234"),
    ("25$^ab0000$abab", "36bc1111"),
]

/// Runs `clients` green clients against 127.0.0.1:`port` at once; returns how many were answered
/// exactly right. Call it from a green thread.
func playSeedVector(clients: Int, port: UInt16) -> Int {
    var successes = 0
    var threads: [GreenThread] = []
    for _ in 0..<clients {
        guard let thread = try? Scheduler.spawn({
            if (try? playOneClient(port: port)) == true { successes += 1 }
        }) else { continue }  // no stack for another green thread: that client fails
        threads.append(thread)
    }
    threads.forEach { $0.join() }
    return successes
}

/// One client's session; true if every reply was exactly right.
private func playOneClient(port: UInt16) throws -> Bool {
    let socket = try GreenSocket.connect(host: "127.0.0.1", port: port, timeout: .seconds(10))
    defer { socket.close() }
    guard try receive(1, from: socket) == Array("*".utf8) else { return false }
    for (send, reply) in seedVector {
        try socket.write(Array(send.utf8), timeout: .seconds(10))
        guard try receive(reply.utf8.count, from: socket) == Array(reply.utf8) else { return false }
    }
    return true
}

/// Reads exactly `count` bytes (fewer if the server closes first).
private func receive(_ count: Int, from socket: GreenSocket) throws -> [UInt8] {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64)
    while received.count < count {
        let got = try buffer.withUnsafeMutableBytes {
            try socket.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<min($0.count, count - received.count)]),
                            timeout: .seconds(10))
        }
        if got == 0 { break }
        received += buffer[..<got]
    }
    return received
}
