// Exercise 03-1's test: `BlockingQueue.pop` hands out items in order, waits while the queue is
// empty, makes room for a waiting producer, loses and duplicates nothing under many threads, and
// answers nil once the queue is closed. Every wait is bounded, so a `pop` that never returns
// fails a check instead of hanging the run.

@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("03-1"))
func exercise03_1_QueuePop() {
    check("items come out in the order they went in", itemsComeOutInOrder)
    check("pop waits while the queue is empty", popWaitsWhileEmpty)
    check("pop makes room for a producer waiting on a full queue", popMakesRoomForAWaitingProducer)
    check("many producers and consumers: nothing lost, nothing twice", manyProducersAndConsumers)
    check("close wakes a waiting pop, which answers nil", closeWakesAWaitingPop)
}

private func itemsComeOutInOrder() throws {
    let queue = BlockingQueue<Int>(capacity: 3)
    var popped: [Int] = []
    for round in 0..<3 {  // fill and empty a few times, so every place in the queue is used
        for item in (round * 3)..<(round * 3 + 3) { #expect(queue.push(item)) }
        for _ in 0..<3 {
            // Stop at the first nil: the queue would still be full, and the next push would wait forever.
            popped.append(try #require(queue.pop(), "pop returned nil from an open queue holding items"))
        }
    }
    #expect(popped == Array(0..<9), "pop should return the items first in, first out")
}

private func popWaitsWhileEmpty() throws {
    let queue = BlockingQueue<Int>(capacity: 2)
    let result = Handoff<String>()
    try runOnTestThread { result.put(queue.pop().map(String.init) ?? "nil") }
    #expect(result.take(within: 0.3) == nil, "pop returned on an empty queue instead of waiting for an item")
    #expect(queue.push(42))
    let got = result.take(within: 10)
    #expect(got == "42", got == nil ? "pop did not wake up when an item arrived" : "pop returned \(got!) instead of 42")
}

private func popMakesRoomForAWaitingProducer() throws {
    let queue = BlockingQueue<Int>(capacity: 1)
    #expect(queue.push(1))
    let pushed = EventCounter()
    try runOnTestThread {
        if queue.push(2) { pushed.record() }
    }
    #expect(!pushed.wait(for: 1, within: 0.3), "push on a full queue should wait (this part is not yours: push is given)")
    #expect(queue.pop() == 1)
    #expect(pushed.wait(for: 1, within: 10), "the producer waiting for room was not woken by pop: signal notFull")
    #expect(queue.pop() == 2)
}

/// What the consumers received, from many threads.
// @unchecked Sendable: `items` is only touched inside the monitor.
private final class Received: @unchecked Sendable {
    private let monitor = Monitor()
    private var items: [Int] = []
    func add(_ list: [Int]) { monitor.update { items += list } }
    var all: [Int] { monitor.update { items } }
}

private func manyProducersAndConsumers() throws {
    let producers = 4, consumers = 4, perProducer = 5_000
    let total = producers * perProducer
    let stop = -1  // one per consumer, after every real item
    let queue = BlockingQueue<Int>(capacity: 8)  // small, so both sides wait often
    let received = Received()
    let consumersDone = EventCounter()
    let producersDone = EventCounter()
    for _ in 0..<consumers {
        try runOnTestThread {
            var mine: [Int] = []
            while let item = queue.pop(), item != stop { mine.append(item) }
            received.add(mine)
            consumersDone.record()
        }
    }
    for producer in 0..<producers {
        try runOnTestThread {
            for item in (producer * perProducer)..<((producer + 1) * perProducer) { _ = queue.push(item) }
            producersDone.record()
        }
    }
    try #require(producersDone.wait(for: producers, within: 30),
                 "the producers got stuck on a full queue: did every pop take its item and signal notFull?")
    try runOnTestThread {  // on a thread of its own: if the consumers have quit, these pushes wait forever
        for _ in 0..<consumers { _ = queue.push(stop) }
    }
    try #require(consumersDone.wait(for: consumers, within: 30), "the consumers got stuck waiting for items that were pushed")
    let all = received.all
    #expect(all.count == total, "\(total) items were pushed, \(all.count) were popped")
    #expect(all.sorted() == Array(0..<total), "some items were lost or popped twice")
}

private func closeWakesAWaitingPop() throws {
    let queue = BlockingQueue<Int>(capacity: 2)
    let result = Handoff<String>()
    try runOnTestThread { result.put(queue.pop().map(String.init) ?? "nil") }
    #expect(result.take(within: 0.3) == nil, "pop returned on an empty queue instead of waiting")
    queue.close()
    let got = result.take(within: 10)
    #expect(got == "nil", got == nil ? "pop kept sleeping after close(): check `closed` in the wait loop" : "pop on a closed queue returned \(got!)")
    #expect(queue.pop() == nil, "pop on a closed queue must answer nil at once")
}
