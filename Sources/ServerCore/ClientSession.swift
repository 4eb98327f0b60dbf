// ClientSession: serving one client with blocking calls, from greeting to goodbye.
//
// This is the loop Parts 1, 2 and 3 share: it reads, feeds the protocol machine, and writes the
// replies of each read back with one write. It blocks the calling thread for as long as the
// client stays — which is the whole problem Chapter 1 shows and Chapters 2 and 3 answer by
// adding threads. Every way a client can end (a clean close, a reset, a broken pipe) comes back
// as a value, never as a crash; `serveClient` then logs it, closes the socket, and keeps the
// books a graceful shutdown needs (`LiveClients`, `ServerStats`).


/// What happened during one client's session.
public struct SessionSummary: Sendable {
    /// Bytes received from the client.
    public var bytesIn = 0
    /// Reply bytes sent to the client (the greeting included).
    public var bytesOut = 0
    /// Why the session ended: `nil` for a clean close by the client, else the failed call.
    public var error: (any Error)?

    public init() {}

    /// `12 bytes in, 9 bytes out` and, if the session failed, why.
    public var description: String {
        let counts = "\(bytesIn) bytes in, \(bytesOut) bytes out"
        guard let error else { return counts }
        return "\(counts), \(error)"
    }
}

// snippet: serve-connection
/// Serves `client` until it closes its side or an I/O call fails. Does not close the socket.
/// `work` is the CPU each complete message costs (`--work`, Chapter 8; none by default).
public func serveConnection(_ client: Socket, work: CPUWork = .none) -> SessionSummary {
    var summary = SessionSummary()
    var machine = ProtocolMachine()
    var meter = WorkMeter(work, phase: Int(client.fd))
    var input = [UInt8](repeating: 0, count: 4096)
    var reply: [UInt8] = []
    reply.reserveCapacity(input.count)
    do {
        try client.writeAll([ProtocolMachine.greeting])
        summary.bytesOut += 1
        while true {
            let count = try input.withUnsafeMutableBytes { try client.read(into: $0) }
            if count == 0 { break }  // the client closed its side
            summary.bytesIn += count
            reply.removeAll(keepingCapacity: true)
            let completed = machine.feed(input[..<count], into: &reply)
            work.spend(messages: meter.count(completed))  // before this read's replies go out
            if !reply.isEmpty {
                try client.writeAll(reply)  // one write for everything this read earned
                summary.bytesOut += reply.count
            }
        }
    } catch {
        summary.error = error  // a reset, a broken pipe: this client's end, nobody else's
    }
    return summary
}
// end snippet

// snippet: serve-client
/// Serves one accepted client to the end and closes its socket, keeping the books every
/// blocking server keeps: the client is listed in `clients` while it is served (so a shutdown
/// can wait for it, and end it after the drain timeout) and counted in `stats`. Logs the
/// disconnect line. `work` is the CPU each complete message costs (Chapter 8).
public func serveClient(
    _ client: Socket, peer: SocketAddress, clients: LiveClients, stats: ServerStats, work: CPUWork = .none
) {
    clients.add(client)
    stats.clientConnected()
    let summary = serveConnection(client, work: work)
    clients.remove(client)  // before `close`: the descriptor number is free for reuse after it
    client.close()
    stats.clientDisconnected(bytesAnswered: summary.bytesOut)
    Log.line("\(peer) disconnected (\(summary.description))")
}
// end snippet
