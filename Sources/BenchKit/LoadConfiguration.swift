// LoadConfiguration: the knobs of one load run, as `Bench load` and `Bench compare` set them.

struct LoadConfiguration: Sendable {
    var host = "127.0.0.1"
    var port: UInt16 = 9090
    /// Concurrent connections, each one closed-loop client.
    var clients = 1
    /// Seconds of measurement (or of holding, with `idle`), counted from the moment every
    /// client has its greeting.
    var duration = 5.0
    /// Payload bytes per message, between `^` and `$`.
    var messageBytes = 64
    /// Open the connections, take the greetings, then send nothing.
    var idle = false
    /// Seconds a connect, a greeting or a message's whole reply may take before it counts as
    /// an error.
    var timeout = 5.0
    /// Most connections being opened (connecting or waiting for the greeting) at once. Keeps
    /// a burst of connects from overflowing a small listen backlog.
    var rampBatch = 100
}

/// Where a load run is.
enum LoadPhase: String, Sendable {
    /// Opening connections and waiting for greetings; nothing is measured yet.
    case connecting
    /// Every client is sending messages, and each round trip is timed.
    case measuring
    /// `--idle`: every connection is open and greeted, and nobody sends anything.
    case holding
    /// The measurement is over; replies still due are awaited (up to the timeout) and checked,
    /// so a server that stops answering is caught however short the run.
    case draining
}

/// A once-a-second view of a run, for progress lines and for sampling the server meanwhile.
struct LoadProgress: Sendable {
    var phase: LoadPhase
    /// Whole seconds since this phase began.
    var seconds: Int
    var clientsGreeted: Int
    var clientsWanted: Int
    /// Clients greeted and not failed since.
    var clientsActive: Int
    /// Messages completed during the last second.
    var messages: Int
    /// 99th percentile latency of the last second's messages, in nanoseconds.
    var p99: UInt64
    var errors: Int

    /// The progress line `Bench load` prints each second.
    var line: String {
        let errorText = "\(Units.count(errors)) error" + (errors == 1 ? "" : "s")
        switch phase {
        case .connecting:
            return "\(Units.right("\(seconds)s", 4)) connecting: \(Units.count(clientsGreeted)) of \(Units.count(clientsWanted)) greeted, \(errorText)"
        case .measuring:
            return "\(Units.right("\(seconds)s", 4)) \(Units.right(Units.count(messages), 9)) msgs/s  p99 \(Units.right(Units.duration(nanoseconds: Double(p99)), 8))  \(Units.count(clientsActive)) clients, \(errorText)"
        case .holding:
            return "\(Units.right("\(seconds)s", 4)) holding \(Units.count(clientsActive)) idle connections, \(errorText)"
        case .draining:
            return "\(Units.right("\(seconds)s", 4)) waiting for the last replies, \(errorText)"
        }
    }
}

/// Calls a load run makes on its own thread, so a caller can follow it without a thread of its
/// own: `Bench load` prints the progress line, `Bench compare` also samples the server's /proc.
struct LoadHooks {
    /// A phase has just begun.
    var phaseStarted: (LoadPhase) -> Void = { _ in }
    /// Once a second.
    var tick: (LoadProgress) -> Void = { _ in }
    /// The measurement (or the hold) is over and the connections are still open.
    var measurementEnded: () -> Void = {}

    init(
        phaseStarted: @escaping (LoadPhase) -> Void = { _ in },
        tick: @escaping (LoadProgress) -> Void = { _ in },
        measurementEnded: @escaping () -> Void = {}
    ) {
        self.phaseStarted = phaseStarted
        self.tick = tick
        self.measurementEnded = measurementEnded
    }
}
