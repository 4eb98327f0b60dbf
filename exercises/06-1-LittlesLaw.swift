// Exercise 06-1: predict latency and load with Little's law.
//
// Chapter 6 measures every server with `Bench`, a closed loop: each simulated client sends a
// message, waits for the whole reply, and sends the next one at once. Bench prints, for each run,
// the number of clients, the messages per second the server completed, and latency percentiles;
// `Chapters/data/compare-load.csv` keeps one such run for every server and client count.
//
// Little's law ties three of those figures together for any system in a steady state:
//
//     L = λ × W
//
// L is how many requests are in the system on average, λ the rate at which they complete, and W
// the average time each spends inside. Write the three predictions below from it. The test feeds
// the first two with the figures of every row of compare-load.csv and compares your predictions
// with what Bench measured. (It compares with the median latency, p50, because that is what Bench
// records; the mean sits a little above the median, as latencies have a long tail. So a right
// answer lands within 30%, a wrong one by a factor of the client count or of a thousand.)
//
// All times are in seconds, all rates per second.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise06_1`). Stuck? `swift run Progress hint 06-1`.

// I AM NOT DONE

/// The mean time a message waits for its reply, in seconds, when `clients` closed-loop clients
/// (each with one message in flight, sending the next as soon as a reply is complete) get
/// `messagesPerSecond` replies from the server.
func predictedLatency(clients: Int, messagesPerSecond: Double) -> Double {
    // TODO
    0
}

/// How many messages are in flight at once, on average, when the server completes
/// `messagesPerSecond` and each waits `latency` seconds for its reply: the closed loop's client
/// count, read back from Bench's figures.
func messagesInFlight(messagesPerSecond: Double, latency: Double) -> Double {
    // TODO
    0
}

/// The messages per second that `clients` clients send when each waits `latency` seconds for a
/// reply and then thinks for `thinkTime` seconds before sending its next message (the Client
/// simulator of Chapters 1 to 3 thinks for a second).
func predictedThroughput(clients: Int, latency: Double, thinkTime: Double) -> Double {
    // TODO
    0
}
