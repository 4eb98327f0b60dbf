// Part 2: one kernel thread per client.
//
// The main thread only accepts; each client gets a detached pthread that runs the same blocking
// `serveConnection` Part 1 used. `--max-clients` caps how many threads exist at once: when the
// cap is reached the main thread stops accepting, so the next clients wait in the kernel's
// accept queue instead of being refused. Chapter 2 walks through this file.

import ArgumentParser
import ServerCore

struct Part2Threaded: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Part2Threaded",
        abstract: "Serves each client on its own pthread (Chapter 2).")

    @OptionGroup var server: ServerOptions

    @Option(help: "Most clients served at once; more wait in the accept queue. Default: no limit.")
    var maxClients: Int?

    func validate() throws {
        if let maxClients, maxClients < 1 { throw ValidationError("--max-clients must be at least 1.") }
    }

    func run() throws {
        let listener = try startListening(server)
        let slots = ClientSlots(limit: maxClients)
        // snippet: accept-loop
        while true {
            slots.waitForFreeSlot()  // with --max-clients, stop accepting while every slot is taken
            let client: Socket
            let peer: SocketAddress
            do {
                (client, peer) = try listener.accept()
            } catch {
                slots.release()
                recoverFromAcceptFailure(error)
                continue
            }
            Log.line("\(peer) connected (\(slots.active) active)")
            do {
                try startDetachedThread {
                    let summary = serveConnection(client)
                    client.close()
                    slots.release()
                    Log.line("\(peer) disconnected (\(summary.description))")
                }
            } catch {
                // Out of threads or memory: turn this one client away, keep serving the rest.
                client.close()
                slots.release()
                Log.line("\(peer) closed without service: \(error)")
            }
        }
        // end snippet
    }
}

Part2Threaded.main()
