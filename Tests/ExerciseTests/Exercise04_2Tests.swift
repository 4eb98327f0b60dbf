// Exercise 04-2's test: `IdleLimits` knows which connection expires next, and which have expired,
// under a greeting limit for silent connections and an idle limit for the others.
//
// First a short script with the expected answers spelled out; then thousands of random operations
// checked against a slow but obviously correct model.

@testable import Exercises
import Harness
import Testing

@Test(.exercise("04-2"))
func exercise04_2_TwoTimeouts() {
    check("follows the script", followsTheScript)
    check("agrees with a simple model", agreesWithASimpleModel)
}

private func followsTheScript() {
    var limits = IdleLimits(greetingTimeout: 50, idleTimeout: 100)
    #expect(limits.nextDeadline == nil, "no connections, no deadline")
    #expect(limits.expire(now: 1_000).isEmpty)

    limits.opened(3, now: 0)
    limits.opened(4, now: 10)
    limits.active(4, now: 20)  // 4 talks: from now on the idle limit applies to it
    limits.opened(5, now: 30)
    #expect(limits.nextDeadline == 50, "3 has said nothing since it opened at 0: it expires at 0 + 50")
    #expect(limits.expire(now: 49).isEmpty, "nobody's deadline has passed at 49")
    #expect(limits.expire(now: 50) == [3], "a deadline at exactly `now` has passed")
    #expect(limits.nextDeadline == 80, "5 opened at 30 and is silent: 30 + 50, earlier than 4's 20 + 100")
    limits.active(5, now: 60)
    #expect(limits.nextDeadline == 120, "5 talked at 60 (deadline 160); 4 talked at 20 (deadline 120)")
    limits.opened(6, now: 65)
    #expect(limits.nextDeadline == 115, "6 is silent since 65: 65 + 50 comes before 4's 120")
    #expect(limits.expire(now: 130).sorted() == [4, 6], "both 6 (115) and 4 (120) have expired at 130")
    #expect(limits.nextDeadline == 160)

    limits.remove(5)
    #expect(limits.nextDeadline == nil, "5 closed: nothing left")
    limits.remove(99)  // unknown: ignored

    limits.opened(7, now: 200)
    limits.opened(8, now: 201)
    limits.active(9, now: 202)  // unknown: added, with the idle limit
    limits.remove(8)  // from the middle
    #expect(limits.nextDeadline == 250)
    #expect(limits.expire(now: 400).sorted() == [7, 9], "every expired connection")
    #expect(limits.nextDeadline == nil)

    limits.active(3, now: 500)
    limits.opened(3, now: 510)  // a descriptor number reused by a new, silent connection
    #expect(limits.nextDeadline == 560, "the new connection on descriptor 3 has the greeting limit, and only one deadline")
    #expect(limits.expire(now: 560) == [3])
    #expect(limits.nextDeadline == nil, "descriptor 3 was known once, so it expires once")
}

/// The obviously correct version: an array of (fd, deadline), searched every time.
private struct ModelLimits {
    let greetingTimeout: Int64
    let idleTimeout: Int64
    var entries: [(fd: Int32, deadline: Int64)] = []

    mutating func opened(_ fd: Int32, now: Int64) {
        remove(fd)
        entries.append((fd, now + greetingTimeout))
    }

    mutating func active(_ fd: Int32, now: Int64) {
        remove(fd)
        entries.append((fd, now + idleTimeout))
    }

    mutating func remove(_ fd: Int32) {
        entries.removeAll { $0.fd == fd }
    }

    var nextDeadline: Int64? { entries.map(\.deadline).min() }

    mutating func expire(now: Int64) -> [Int32] {
        let expired = entries.filter { $0.deadline <= now }.map(\.fd)
        entries.removeAll { $0.deadline <= now }
        return expired
    }
}

private func agreesWithASimpleModel() {
    var generator = SplitMix64(seed: 4_2)
    var limits = IdleLimits(greetingTimeout: 300, idleTimeout: 1_000)
    var model = ModelLimits(greetingTimeout: 300, idleTimeout: 1_000)
    var now: Int64 = 0
    for step in 0..<20_000 {
        now += Int64.random(in: 0...30, using: &generator)
        let fd = Int32.random(in: 0..<200, using: &generator)
        switch Int.random(in: 0..<10, using: &generator) {
        case 0..<3:
            limits.opened(fd, now: now)
            model.opened(fd, now: now)
        case 3..<6:
            limits.active(fd, now: now)
            model.active(fd, now: now)
        case 6..<8:
            limits.remove(fd)
            model.remove(fd)
        default:
            let got = limits.expire(now: now)
            let expected = model.expire(now: now)
            guard got.sorted() == expected.sorted() else {
                Issue.record("step \(step): expire(now: \(now)) returned \(got.sorted()), expected \(expected.sorted())")
                return
            }
        }
        guard limits.nextDeadline == model.nextDeadline else {
            Issue.record("step \(step): nextDeadline is \(String(describing: limits.nextDeadline)), expected \(String(describing: model.nextDeadline))")
            return
        }
    }
}
