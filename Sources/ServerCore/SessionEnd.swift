// SessionEnd: the reasons a server, rather than its client, ends a session, and their words.
//
// A session that ends because the client closed needs no reason. The others are errors carried
// in `SessionSummary.error`, and the disconnect line prints them: `127.0.0.1:5000 disconnected
// (0 bytes in, 1 bytes out, idle for 1.0 s)`. Both servers that end sessions themselves (Parts 4
// and 5) use these, so the words are the same in both.

/// The client sent nothing for `seconds`.
public struct IdleTimeout: Error, CustomStringConvertible {
    public var seconds: Double
    public init(seconds: Double) { self.seconds = seconds }
    public var description: String { "idle for \(seconds) s" }
}

/// The server shut down (the drain timeout ran out, or a second signal came).
public struct ServerShutdown: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "closed at shutdown" }
}

/// The connection hung up (epoll reported EPOLLHUP or EPOLLERR) before the client closed.
public struct HangUp: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "connection hung up" }
}
