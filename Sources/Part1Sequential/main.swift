// Part 1: the sequential server — one client at a time, every call blocking.
//
// The baseline the whole tutorial improves on. The main thread accepts a client, serves it until
// it leaves, and only then accepts the next; everyone else waits in the kernel's accept queue.
// Chapter 1 walks through this file and measures what the waiting costs.

import ArgumentParser
import ServerCore

struct Part1Sequential: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part1Sequential",
        abstract: "Serves the protocol to one client at a time (Chapter 1).")

    @OptionGroup var server: ServerOptions

    func run() throws {
        let listener = try startListening(server)
        // snippet: sequential-loop
        while true {
            let client: Socket
            let peer: SocketAddress
            do {
                (client, peer) = try listener.accept()
            } catch {
                recoverFromAcceptFailure(error)
                continue
            }
            Log.line("\(peer) connected")
            let summary = serveConnection(client)  // blocks until this client leaves
            client.close()
            Log.line("\(peer) disconnected (\(summary.description))")
        }
        // end snippet
    }
}

Part1Sequential.main()
