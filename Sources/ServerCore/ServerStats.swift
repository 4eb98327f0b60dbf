// ServerStats: the few numbers every server keeps so it can sum up its run when it stops.
//
// Clients served, reply bytes sent, and the most clients it ever served at once. Threads of
// Parts 2 and 3 update it concurrently, so a lock guards it; the single-threaded
// servers pay an uncontended lock per connect and disconnect, which is nothing next to the
// system calls around it. Every server prints `summaryLine` as its last line on a graceful
// shutdown, in the same words, so tests and readers can compare them.


// @unchecked Sendable: every stored property is read and written with `lock` held.
public final class ServerStats: @unchecked Sendable {
    private var served = 0
    private var bytesAnswered = 0
    private var current = 0
    private var peak = 0
    private let lock = Lock()

    public init() {}

    /// Records a client that has just been accepted.
    public func clientConnected() {
        locked {
            current += 1
            peak = max(peak, current)
        }
    }

    /// Records a client that has left, with the reply bytes it was sent.
    public func clientDisconnected(bytesAnswered bytes: Int) {
        locked {
            current -= 1
            served += 1
            bytesAnswered += bytes
        }
    }

    /// Clients connected right now.
    public var connected: Int { locked { current } }

    /// `summary: served 3 clients, answered 57 bytes, peak 3 concurrent clients`
    public var summaryLine: String {
        locked {
            "summary: served \(served) clients, answered \(bytesAnswered) bytes, peak \(peak) concurrent clients"
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.withLock(body)
    }
}
