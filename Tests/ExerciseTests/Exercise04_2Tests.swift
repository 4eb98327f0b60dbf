// Exercise 04-2's test: `IdleList` knows which connection expires next, and which have expired.
//
// First a short script of touches, removals and expiries with the expected answers spelled out;
// then thousands of random operations checked against a slow but obviously correct model.

@testable import Exercises
import Harness
import Testing

@Test(.exercise("04-2"))
func exercise04_2_IdleList() throws {
    followsTheScript()
    agreesWithASimpleModel()
}

private func followsTheScript() {
    var list = IdleList(timeout: 100)
    #expect(list.nextDeadline == nil, "no connections, no deadline")
    #expect(list.expire(now: 1_000).isEmpty)

    list.touch(3, now: 0)
    list.touch(4, now: 10)
    list.touch(5, now: 20)
    #expect(list.nextDeadline == 100, "the least recently active (3, at 0) expires first, at 0 + 100")
    #expect(list.expire(now: 99).isEmpty, "nobody has been idle for 100 ms at 99")
    #expect(list.expire(now: 105) == [3], "at 105 only 3 has been idle for 100 ms")
    #expect(list.nextDeadline == 110, "then 4 (active at 10)")

    list.touch(4, now: 50)  // 4 does something: it moves behind 5
    #expect(list.nextDeadline == 120, "5 (active at 20) is now the least recently active")
    #expect(list.expire(now: 130) == [5])
    #expect(list.nextDeadline == 150, "4 was touched at 50")

    list.remove(4)
    #expect(list.nextDeadline == nil, "4 closed: nothing left")
    list.remove(99)  // unknown: ignored

    list.touch(7, now: 200)
    list.touch(8, now: 201)
    list.touch(9, now: 202)
    list.remove(8)  // from the middle
    #expect(list.expire(now: 400) == [7, 9], "every expired connection, oldest first")
    #expect(list.nextDeadline == nil)

    list.touch(3, now: 500)  // a descriptor number reused by a new connection
    #expect(list.nextDeadline == 600)
}

/// The obviously correct version: an array of (fd, last activity), searched every time.
private struct ModelList {
    let timeout: Int64
    var entries: [(fd: Int32, lastActive: Int64)] = []

    mutating func touch(_ fd: Int32, now: Int64) {
        entries.removeAll { $0.fd == fd }
        entries.append((fd, now))
    }

    mutating func remove(_ fd: Int32) {
        entries.removeAll { $0.fd == fd }
    }

    var nextDeadline: Int64? { entries.map(\.lastActive).min().map { $0 + timeout } }

    mutating func expire(now: Int64) -> [Int32] {
        let expired = entries.filter { $0.lastActive + timeout <= now }.map(\.fd)
        entries.removeAll { $0.lastActive + timeout <= now }
        return expired
    }
}

private func agreesWithASimpleModel() {
    var generator = SplitMix64(seed: 4_2)
    var list = IdleList(timeout: 1_000)
    var model = ModelList(timeout: 1_000)
    var now: Int64 = 0
    for step in 0..<20_000 {
        now += Int64.random(in: 0...30, using: &generator)
        let fd = Int32.random(in: 0..<200, using: &generator)
        switch Int.random(in: 0..<10, using: &generator) {
        case 0..<6:
            list.touch(fd, now: now)
            model.touch(fd, now: now)
        case 6..<8:
            list.remove(fd)
            model.remove(fd)
        default:
            let got = list.expire(now: now)
            let expected = model.expire(now: now)
            guard got == expected else {
                Issue.record("step \(step): expire(now: \(now)) returned \(got), expected \(expected)")
                return
            }
        }
        guard list.nextDeadline == model.nextDeadline else {
            Issue.record("step \(step): nextDeadline is \(String(describing: list.nextDeadline)), expected \(String(describing: model.nextDeadline))")
            return
        }
    }
}
