// Exercise 02-1's test: `spawnDetached` runs every closure once, on a detached thread of its
// own, returns without waiting for it, and frees the closure once it has run.

@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("02-1"))
func exercise02_1_DetachedThread() {
    check("runs each closure on a detached thread of its own", runsEachClosureOnADetachedThreadOfItsOwn)
    check("frees each closure after it has run", freesEachClosureAfterItHasRun)
}

/// What one closure saw of the thread it ran on.
private struct Sighting: Sendable {
    let thread: pthread_t
    let onCallersThread: Bool
    let detached: Bool
    let spawnHadReturned: Bool
}

/// The sightings of many closures.
// @unchecked Sendable: `sightings` is only touched inside the monitor.
private final class Sightings: @unchecked Sendable {
    private let monitor = Monitor()
    private var sightings: [Sighting] = []

    func add(_ sighting: Sighting) {
        monitor.update { sightings.append(sighting) }
    }

    func wait(for count: Int, within seconds: Double) -> [Sighting]? {
        monitor.wait(seconds: seconds) { sightings.count >= count ? sightings : nil }
    }
}

private func runsEachClosureOnADetachedThreadOfItsOwn() throws {
    let count = 40
    let caller = pthread_self()
    let sightings = Sightings()
    let allSpawned = Handoff<Bool>()
    let deadline = MonotonicClock.now() + 3
    for _ in 0..<count {
        try spawnDetached {
            // Every closure waits here until the test has spawned them all, so all 40 threads are
            // alive at once. If spawnDetached ran the closure itself, the first one would wait
            // until the deadline and report that spawnDetached had not returned (and the others
            // would not wait at all).
            let spawnHadReturned = allSpawned.take(within: max(0, deadline - MonotonicClock.now())) ?? false
            let me = pthread_self()
            sightings.add(Sighting(
                thread: me,
                onCallersThread: pthread_equal(me, caller) != 0,
                detached: pthread_detach(me) == EINVAL,  // glibc's answer for a detached thread
                spawnHadReturned: spawnHadReturned))
        }
    }
    allSpawned.put(true)
    let seen = try #require(sightings.wait(for: count, within: 10), "not every closure ran within 10 s")
    #expect(seen.count == count, "each closure runs exactly once")
    #expect(!seen.contains { $0.onCallersThread }, "a closure ran on the calling thread, not a new one")
    #expect(!seen.contains { !$0.spawnHadReturned }, "spawnDetached must return at once, not wait for the closure")
    #expect(Set(seen.map { $0.thread }).count == count, "each closure gets a thread of its own")
    #expect(seen.allSatisfy { $0.detached }, "create the thread detached (pthread_attr_setdetachstate), or nobody frees it")
}

/// Tells a counter when it is freed.
private final class Token: Sendable {
    let freed: EventCounter
    init(freed: EventCounter) { self.freed = freed }
    deinit { freed.record() }
}

private func freesEachClosureAfterItHasRun() throws {
    let count = 20
    let ran = EventCounter()
    let freed = EventCounter()
    for _ in 0..<count {
        let token = Token(freed: freed)
        try spawnDetached {
            _ = token  // the closure holds the token until the closure itself is freed
            ran.record()
        }
    }
    #expect(ran.wait(for: count, within: 10), "only \(ran.current) of \(count) closures ran")
    #expect(freed.wait(for: count, within: 10),
            "only \(freed.current) of \(count) closures were freed after running: does the new thread take the box back with takeRetainedValue()?")
}
