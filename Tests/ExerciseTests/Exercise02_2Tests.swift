// Exercise 02-2's test: `AdmissionCounter` admits up to its limit from any number of threads,
// and `refuse` tells a client the server is busy and closes the connection.

@testable import Exercises
import Glibc
import ServerCore
import Synchronization
import Testing

@Test(.exercise("02-2"))
func exercise02_2_Admission() {
    check("admits up to the limit, then says no", admitsUpToTheLimitThenSaysNo)
    check("never admits too many from many threads", neverAdmitsTooManyFromManyThreads)
    check("a burst over the limit is told the server is busy", aBurstOverTheLimitIsToldTheServerIsBusy)
    check("refusing a client that has gone is quiet", refusingAClientThatHasGoneIsQuiet)
}

private func admitsUpToTheLimitThenSaysNo() {
    let counter = AdmissionCounter(limit: 3)
    #expect(counter.count == 0)
    let firstThree = (0..<3).map { _ in counter.tryAdmit() }
    #expect(firstThree == [true, true, true], "the first three clients fit")
    #expect(counter.tryAdmit() == false, "a fourth client is over the limit")
    #expect(counter.count == 3, "a refused client takes no place")
    counter.leave()
    #expect(counter.count == 2, "a client that leaves gives its place back")
    #expect(counter.tryAdmit(), "a client that leaves frees its place for the next")
    #expect(counter.count == 3)
}

/// What the test sees of the admitted clients. Atomics, not a lock: a lock here would take
/// turns for the threads and hide the very races the check is looking for.
private final class Occupancy: Sendable {
    let inside = Atomic<Int>(0)
    let admissions = Atomic<Int>(0)
    let overLimit = Atomic<Int>(0)
}

private func neverAdmitsTooManyFromManyThreads() throws {
    let limit = 2
    let threads = 4
    let rounds = 100_000
    let counter = AdmissionCounter(limit: limit)
    let occupancy = Occupancy()
    let go = Handoff<Bool>()
    let finished = EventCounter()
    for _ in 0..<threads {
        try runOnTestThread {
            _ = go.take(within: 10)  // all threads start together, so they really do overlap
            for _ in 0..<rounds where counter.tryAdmit() {
                let now = occupancy.inside.wrappingAdd(1, ordering: .relaxed).newValue
                if now > limit { occupancy.overLimit.wrappingAdd(1, ordering: .relaxed) }
                occupancy.admissions.wrappingAdd(1, ordering: .relaxed)
                occupancy.inside.wrappingSubtract(1, ordering: .relaxed)
                counter.leave()
            }
            finished.record()
        }
    }
    go.put(true)
    try #require(finished.wait(for: threads, within: 60), "the threads did not finish within 60 s")
    #expect(occupancy.admissions.load(ordering: .relaxed) > 0, "nobody was ever admitted")
    let overLimit = occupancy.overLimit.load(ordering: .relaxed)
    #expect(overLimit == 0, "\(overLimit) times more than \(limit) clients were admitted at once")
    #expect(counter.count == 0,
            "everyone left, yet the count is \(counter.count): two threads changed it at once; lock around it")
}

private func aBurstOverTheLimitIsToldTheServerIsBusy() throws {
    let counter = AdmissionCounter(limit: 5)
    var admitted: [SocketPair] = []
    var refused: [SocketPair] = []
    for _ in 0..<12 {  // the accept loop's view: admit or refuse each new client
        let pair = try SocketPair()
        if counter.tryAdmit() {
            admitted.append(pair)
        } else {
            refuse(pair.server)  // closes the server end
            refused.append(pair)
        }
    }
    #expect(admitted.count == 5, "five of twelve clients fit")
    #expect(refused.count == 7, "seven of twelve clients are refused")
    for pair in refused {
        defer { pair.client.close() }
        let heard = try pair.client.readToEnd()  // ends only once refuse has closed the connection
        #expect(String(decoding: heard, as: UTF8.self) == busyMessage, "a refused client reads the busy line, then end of file")
    }
    for pair in admitted {
        counter.leave()
        pair.server.close()
        pair.client.close()
    }
    #expect(counter.count == 0)
}

private func refusingAClientThatHasGoneIsQuiet() throws {
    let pair = try SocketPair()
    pair.client.close()
    refuse(pair.server)  // the write fails with EPIPE; refuse must shrug, not crash
}
