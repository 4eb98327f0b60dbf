// ShutdownLog: the lines every server prints while it shuts down gracefully, worded once.
//
// Parts 1-3 shut down from a signal thread (ShutdownSignal.swift), Part 4 from its event loop,
// Part 5 from a green thread; the tests, the chapters' transcripts and anyone reading a log see
// the same three lines from all of them, and then the summary line (`ServerStats.summaryLine`).

import Glibc

/// `SIGINT`, `SIGTERM`, or `signal N` for any other.
public func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGINT: "SIGINT"
    case SIGTERM: "SIGTERM"
    default: "signal \(signal)"
    }
}

public enum ShutdownLog {
    /// `SIGTERM: no longer accepting; letting 3 clients finish (up to 5.0 s)`
    /// `prefix` names the loop or scheduler of a server that runs several (`[loop 1] `).
    public static func stoppedAccepting(after signal: Int32, clients: Int, drainTimeout seconds: Double, prefix: String = "") {
        Log.line("\(prefix)\(signalName(signal)): no longer accepting; letting \(clients) clients finish (up to \(seconds) s)")
    }

    /// `SIGTERM again: closing the remaining connections now`
    public static func signalledAgain(_ signal: Int32, prefix: String = "") {
        Log.line("\(prefix)\(signalName(signal)) again: closing the remaining connections now")
    }

    /// `drain timeout: closing 2 client connections`
    public static func drainTimedOut(clients: Int, prefix: String = "") {
        Log.line("\(prefix)drain timeout: closing \(clients) client connections")
    }
}
