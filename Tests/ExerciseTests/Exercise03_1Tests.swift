// Exercise 03-1's test: `BlockingQueue.pop(upTo:)` hands out batches in order, waits while the
// queue is empty but never for a full batch, wakes every producer waiting for the room it made,
// loses and duplicates nothing under many threads, and answers an empty batch once the queue is
// closed. Every wait is bounded, so a pop that never returns fails a check instead of hanging.

@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("03-1"))
func exercise03_1_BatchPop() {
    check("batches come out in order, never larger than asked or than what is there", batchesComeOutInOrder)
    check("a batch pop waits while the queue is empty", waitsWhileEmpty)
    check("a batch pop wakes every producer waiting for room", wakesEveryWaitingProducer)
    check("many producers and consumers: nothing lost, nothing twice", manyProducersAndConsumers)
    check("close wakes a waiting batch pop, which answers an empty batch", closeWakesAWaitingPop)
}

private func batchesComeOutInOrder() throws {
    let queue = BlockingQueue<Int>(capacity: 5)
    var popped: [Int] = []
    for round in 0..<3 {  // fill and empty a few times, so every place in the queue is used
        for item in (round * 5)..<(round * 5 + 5) { #expect(queue.push(item)) }
        let first = queue.pop(upTo: 3)
        #expect(first.count == 3, "five items queued, a batch of up to 3 asked: got \(first.count)")
        let second = queue.pop(upTo: 10)
        #expect(second.count == 2, "two items left, a batch of up to 10 asked: take the two, do not wait for more (got \(second.count))")
        popped += first + second
        if first.count + second.count != 5 {  // the queue is not empty: the next push could wait forever
            queue.close()
            return
        }
    }
    #expect(popped == Array(0..<15), "batches must hold the items first in, first out")
    #expect(queue.push(99))
    #expect(queue.pop(upTo: 1) == [99], "a batch of one")
}

private func waitsWhileEmpty() throws {
    let queue = BlockingQueue<Int>(capacity: 4)
    let result = Handoff<[Int]>()
    try runOnTestThread { result.put(queue.pop(upTo: 4)) }
    #expect(result.take(within: 0.3) == nil, "pop(upTo:) returned on an empty queue instead of waiting for an item")
    #expect(queue.push(42))
    let got = result.take(within: 10)
    #expect(got == [42], got == nil ? "pop(upTo:) did not wake up when an item arrived" : "pop(upTo:) returned \(got!) instead of [42]")
}

private func wakesEveryWaitingProducer() throws {
    let capacity = 4
    let queue = BlockingQueue<Int>(capacity: capacity)
    for item in 0..<capacity { #expect(queue.push(item)) }
    let pushed = EventCounter()
    for item in capacity..<(2 * capacity) {
        try runOnTestThread {
            if queue.push(item) { pushed.record() }
        }
    }
    #expect(!pushed.wait(for: 1, within: 0.3), "push on a full queue should wait (this part is not yours: push is given)")
    let batch = queue.pop(upTo: capacity)
    #expect(batch == Array(0..<capacity))
    #expect(pushed.wait(for: capacity, within: 10),
            "\(capacity) places were freed at once but only \(pushed.current) of the \(capacity) waiting producers got to push: pthread_cond_signal wakes one waiter")
    let rest = queue.pop(upTo: capacity)
    #expect(rest.sorted() == Array(capacity..<(2 * capacity)))
    queue.close()
}

/// What the consumers received, from many threads.
// @unchecked Sendable: `items` is only touched inside the monitor.
private final class Received: @unchecked Sendable {
    private let monitor = Monitor()
    private var items: [Int] = []
    func add(_ list: [Int]) { monitor.update { items += list } }
    var all: [Int] { monitor.update { items } }
    func wait(for count: Int, within seconds: Double) -> Bool {
        monitor.wait(seconds: seconds) { items.count >= count ? true : nil } ?? false
    }
}

private func manyProducersAndConsumers() throws {
    let producers = 4, consumers = 4, perProducer = 5_000
    let total = producers * perProducer
    let queue = BlockingQueue<Int>(capacity: 8)  // small, so both sides wait often
    let received = Received()
    let consumersDone = EventCounter()
    let producersDone = EventCounter()
    for consumer in 0..<consumers {
        try runOnTestThread {
            while true {
                let batch = queue.pop(upTo: consumer + 2)  // batches of 2 to 5
                if batch.isEmpty { break }
                received.add(batch)
            }
            consumersDone.record()
        }
    }
    for producer in 0..<producers {
        try runOnTestThread {
            for item in (producer * perProducer)..<((producer + 1) * perProducer) { _ = queue.push(item) }
            producersDone.record()
        }
    }
    let producersFinished = producersDone.wait(for: producers, within: 15)
    #expect(producersFinished, "the producers got stuck on a full queue: did every batch pop wake the producers?")
    let allReceived = received.wait(for: total, within: producersFinished ? 15 : 0)
    queue.close()  // wakes the consumers, and any producer still stuck, so no test thread is left behind
    try #require(producersFinished)
    #expect(allReceived, "the consumers got stuck waiting for items that were pushed")
    #expect(consumersDone.wait(for: consumers, within: 10), "after close every consumer's pop(upTo:) must return an empty batch")
    let all = received.all
    #expect(all.count == total, "\(total) items were pushed, \(all.count) were popped")
    let intact = all.sorted() == Array(0..<total)  // a Bool: no printing of both arrays
    #expect(intact, "some items were lost or popped twice")
}

private func closeWakesAWaitingPop() throws {
    let queue = BlockingQueue<Int>(capacity: 2)
    let result = Handoff<[Int]>()
    try runOnTestThread { result.put(queue.pop(upTo: 2)) }
    #expect(result.take(within: 0.3) == nil, "pop(upTo:) returned on an empty queue instead of waiting")
    queue.close()
    let got = result.take(within: 10)
    #expect(got == [], got == nil ? "pop(upTo:) kept sleeping after close(): check `closed` in the wait loop" : "pop(upTo:) on a closed queue returned \(got!)")
    #expect(queue.pop(upTo: 3) == [], "pop(upTo:) on a closed queue must answer an empty batch at once")
}
