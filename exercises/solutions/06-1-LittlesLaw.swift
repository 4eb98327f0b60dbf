// Exercise 06-1, reference solution: Little's law, L = λ × W, solved three ways.
//
// In Bench's closed loop every client always has exactly one message in flight, so L is the
// client count, and the law gives the latency from the throughput (Chapter 6 checks its 10,000
// client runs this way). A client that thinks is in the system only while it waits; its whole
// cycle is latency + think time, and N clients complete N cycles per cycle length.

/// The mean time a message waits for its reply, in seconds, when `clients` closed-loop clients
/// (each with one message in flight, sending the next as soon as a reply is complete) get
/// `messagesPerSecond` replies from the server.
func predictedLatency(clients: Int, messagesPerSecond: Double) -> Double {
    Double(clients) / messagesPerSecond  // W = L / λ
}

/// How many messages are in flight at once, on average, when the server completes
/// `messagesPerSecond` and each waits `latency` seconds for its reply: the closed loop's client
/// count, read back from Bench's figures.
func messagesInFlight(messagesPerSecond: Double, latency: Double) -> Double {
    messagesPerSecond * latency  // L = λ × W
}

/// The messages per second that `clients` clients send when each waits `latency` seconds for a
/// reply and then thinks for `thinkTime` seconds before sending its next message (the Client
/// simulator of Chapters 1 to 3 thinks for a second).
func predictedThroughput(clients: Int, latency: Double, thinkTime: Double) -> Double {
    // Little's law over the whole cycle: N clients, each spending latency + thinkTime per message.
    Double(clients) / (latency + thinkTime)
}
