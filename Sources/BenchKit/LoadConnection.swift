// LoadConnection: one simulated client's state, as the load generator's event loop sees it.
//
// The generator never blocks, so each client's place in its conversation is data rather than
// a position in a call stack — the same inversion Part 4's server makes. A client goes
// connecting → awaiting greeting → ready, then alternates ready ↔ in message until the run
// ends, or drops to closed on its first error.

struct LoadConnection {
    enum State {
        /// Not opened yet (waiting for its turn in the ramp).
        case unopened
        /// Non-blocking `connect` in progress; epoll reports writability when it is done.
        case connecting
        /// Connected; the server's `*` has not arrived yet.
        case awaitingGreeting
        /// Greeted, no message outstanding.
        case ready
        /// A message is being sent and/or its reply received.
        case inMessage
        /// Finished or failed; the descriptor is closed.
        case closed
    }

    var fd: Int32 = -1
    var state = State.unopened
    /// When the current connect, greeting or reply times out (monotonic nanoseconds).
    var deadline: UInt64 = 0
    /// Where the current message starts in `MessagePattern.alphabet`.
    var messageStart = 0
    /// Bytes of the current message written so far (`^`, payload and `$` included).
    var bytesSent = 0
    /// Reply bytes of the current message received and checked so far.
    var repliesVerified = 0
    /// When the current message's first byte was sent.
    var sentAt: UInt64 = 0
    /// Messages completed by this client.
    var messagesCompleted = 0
    /// Whether epoll is also watching for writability (after a partial write).
    var watchingWritable = false
}
