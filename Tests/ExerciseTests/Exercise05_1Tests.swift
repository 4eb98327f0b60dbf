// Exercise 05-1's test: the SleeperHeap wakes sleepers in deadline order, first-come first-served
// among equal deadlines, and never before their deadline.

@testable import Exercises
import Harness
import Testing

@Test(.exercise("05-1"))
func exercise05_1_SleeperHeap() {
    check("is empty with nobody asleep", isEmptyAtFirst)
    check("pops in deadline order, never early", popsInDeadlineOrder)
    check("breaks ties first-come first-served", breaksTiesByArrival)
    check("matches a sorted list on 2,000 random sleepers", matchesASortedList)
}

private func isEmptyAtFirst() throws {
    var heap = SleeperHeap()
    #expect(heap.isEmpty)
    #expect(heap.nextDeadline == nil)
    #expect(heap.popDue(now: .max) == nil)
}

private func popsInDeadlineOrder() throws {
    var heap = SleeperHeap()
    for (deadline, id) in [(60, 1), (20, 2), (100, 3), (40, 4), (80, 5)] {
        heap.push(deadline: UInt64(deadline), id: id)
    }
    #expect(!heap.isEmpty)
    #expect(heap.nextDeadline == 20, "the earliest deadline is what epoll_wait's timeout is made from")
    #expect(heap.popDue(now: 19) == nil, "nobody is due at 19: a sleeper must never wake early")
    #expect(heap.popDue(now: 50) == 2)
    #expect(heap.popDue(now: 50) == 4)
    #expect(heap.popDue(now: 50) == nil, "the next deadline is 60")
    #expect(heap.nextDeadline == 60)
    #expect(heap.popDue(now: 1000) == 1)
    #expect(heap.popDue(now: 1000) == 5)
    #expect(heap.popDue(now: 1000) == 3)
    #expect(heap.isEmpty)
}

private func breaksTiesByArrival() throws {
    var heap = SleeperHeap()
    for id in 0..<10 { heap.push(deadline: 7, id: id) }
    heap.push(deadline: 3, id: 99)
    var order: [Int] = []
    while let id = heap.popDue(now: 7) { order.append(id) }
    #expect(order == [99] + Array(0..<10), "equal deadlines wake in the order they went to sleep")
}

private func matchesASortedList() throws {
    var generator = SplitMix64(seed: 5)
    var heap = SleeperHeap()
    var expected: [(deadline: UInt64, id: Int)] = []
    for id in 0..<2000 {
        let deadline = generator.next() % 500  // many equal deadlines
        heap.push(deadline: deadline, id: id)
        expected.append((deadline, id))
    }
    // Stable sort: equal deadlines keep their arrival order.
    let sorted = expected.enumerated().sorted { ($0.element.deadline, $0.offset) < ($1.element.deadline, $1.offset) }
    var popped: [Int] = []
    while let id = heap.popDue(now: .max) { popped.append(id) }
    #expect(popped == sorted.map(\.element.id))
}
