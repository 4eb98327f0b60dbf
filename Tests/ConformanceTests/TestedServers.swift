// TestedServers: which server each contract applies to, written down once.
//
// Every suite takes its servers from here, so a new server is one line in `servers`: it joins
// the conformance suite and the shutdown contract at once, and the event-driven behaviours if it
// serves every client from one thread that waits for readiness.

import Harness

/// One server executable and the model it serves clients with.
struct TestedServer: Sendable {
    enum Model: Sendable {
        /// One client at a time (Part 1).
        case sequential
        /// A kernel thread per client, or a pool of them (Parts 2 and 3).
        case threads
        /// One kernel thread waiting for readiness, whatever the code looks like (Parts 4 and 5):
        /// held to 1,000 clients at once, bounded memory for a client that never reads,
        /// descriptor exhaustion without spinning, --idle-timeout, and a second signal.
        case eventDriven
    }

    let name: String
    let model: Model
}

/// Every server of the tutorial, in chapter order.
let servers: [TestedServer] = [
    TestedServer(name: "Part1Sequential", model: .sequential),
    TestedServer(name: "Part2Threaded", model: .threads),
    TestedServer(name: "Part3Pool", model: .threads),
    TestedServer(name: "Part4Epoll", model: .eventDriven),
    TestedServer(name: "Part5StateThreads", model: .eventDriven),
    // Chapter 7: the same promises on async/await (our own executor) and on SwiftNIO.
    TestedServer(name: "AsyncAwaitServer", model: .eventDriven),
    TestedServer(name: "SwiftNIOServer", model: .eventDriven),
]

/// The lists the suites are parameterized over (test arguments are the executables' names).
enum Servers {
    /// Every server: the protocol and the shutdown contract apply to all.
    static let all = servers.map(\.name)
    /// The servers that serve more than one client at a time.
    static let concurrent = servers.filter { $0.model != .sequential }.map(\.name)
    /// The servers held to the event-driven behaviours.
    static let eventDriven = servers.filter { $0.model == .eventDriven }.map(\.name)
    /// The event-driven servers that stop accepting while descriptors are short. Not
    /// SwiftNIOServer: on NIO 2.101 an accept that fails with EMFILE leaves the server channel's
    /// read pending, so AcceptBackoffHandler's hold never takes effect and the loop retries
    /// accept4 some 13,000 times a second until a descriptor frees up (Chapter 7).
    static let waitForDescriptors = eventDriven.filter { $0 != "SwiftNIOServer" }

    /// Chapter 8's forms of Parts 4 and 5 (several loops, a worker pool, several schedulers) must
    /// speak the same bytes, and so must a server whose messages cost `--work` (which changes
    /// when replies leave, never what they are). `--offload` hands only messages that cost work
    /// to its pool, so it is tested with some. Each is an executable name, then its arguments.
    static let variants = [
        "Part4Epoll --loops 2", "Part4Epoll --offload 2 --work 50", "Part5StateThreads --schedulers 2",
        "Part3Pool --work 50", "Part4Epoll --loops 2 --work 50", "Part5StateThreads --schedulers 2 --work 50",
    ]
    /// Every server, then every variant: the byte-for-byte suites run over these.
    static let withVariants = all + variants
    /// The same, less the server that serves one client at a time.
    static let concurrentWithVariants = concurrent + variants
}

/// Runs `body` with the server a `Servers.withVariants` entry names: the executable, then its
/// arguments.
func withServer<Result>(variant: String, _ body: (ServerProcess) throws -> Result) throws -> Result {
    let words = variant.split(separator: " ").map(String.init)
    return try withServer(words[0], arguments: Array(words.dropFirst()), body)
}
