// ToyServerCommands: `Bench toy-server` (run the toy server on its own, to point `Bench load` at)
// and `Bench nagle-demo` (run it in each write mode under the same load, and print the figures).

import ArgumentParser
import ServerCore

struct ToyServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toy-server",
        abstract: "A thread-per-client server that writes replies per read or, deliberately, per byte.")

    @Option(help: "Port to listen on; 0 lets the kernel pick one.")
    var port: UInt16 = 9090

    @Option(help: "How replies are written: per-read (one write per read) or per-byte (one write per reply byte).")
    var writes = ToyServer.ReplyWrites.perRead

    @Flag(help: "Set TCP_NODELAY on client sockets (switch Nagle's algorithm off).")
    var noDelay = false

    func run() throws {
        let server = try ToyServer(writes: writes, noDelay: noDelay, port: port)
        Log.plain("listening on 127.0.0.1:\(server.port)")
        server.acceptClients()
    }
}

struct NagleDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nagle-demo",
        abstract: "Measure replies written per read against per byte (with and without TCP_NODELAY).")

    @Option(help: "Concurrent closed-loop clients.")
    var clients = 1

    @Option(help: "Seconds of measurement per mode.")
    var duration = 3.0

    @Option(help: "Payload bytes per message.")
    var messageBytes = 64

    func run() throws {
        let machine = MachineDescription.current()
        Log.plain("Bench nagle-demo: \(clients) client(s), \(messageBytes)-byte messages, \(Units.decimal(duration)) s per mode")
        Log.plain(machine.line)
        let modes: [(ToyServer.ReplyWrites, Bool)] = [(.perRead, false), (.perByte, false), (.perByte, true)]
        var table: [String] = ["\(Units.left("replies written", 20)) \(Units.left("TCP_NODELAY", 11)) \(Units.right("msgs/s", 9)) \(Units.right("p50", 9)) \(Units.right("p99", 9)) \(Units.right("errors", 6))"]
        var failed = false
        for (writes, noDelay) in modes {
            let server = try ToyServer(writes: writes, noDelay: noDelay)
            try server.start()
            defer { server.stop() }
            Log.plain("== \(writes.rawValue) writes, TCP_NODELAY \(noDelay ? "on" : "off")")
            let configuration = LoadConfiguration(
                port: server.port, clients: clients, duration: duration, messageBytes: messageBytes, timeout: 10)
            let report = try LoadGenerator(configuration).run(hooks: LoadHooks(tick: { Log.plain($0.line) }))
            failed = failed || !report.succeeded
            let mode = writes == .perRead ? "one write per read" : "one write per byte"
            table.append("\(Units.left(mode, 20)) \(Units.left(noDelay ? "yes" : "no", 11)) \(Units.right(Units.count(Int(report.messagesPerSecond.rounded())), 9)) \(Units.right(Units.duration(nanoseconds: Double(report.latency(atPercentile: 50))), 9)) \(Units.right(Units.duration(nanoseconds: Double(report.latency(atPercentile: 99))), 9)) \(Units.right(Units.count(report.totalErrors), 6))")
        }
        Log.plain("")
        table.forEach(Log.plain)
        if failed { throw ExitCode.failure }
    }
}
