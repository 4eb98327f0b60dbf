// BlockingQueueTests: Part 3's queue on its own — order, many threads at once, and close().
//
// The queue is the one piece of Part 3 where a subtle mistake (an `if` where a `while` belongs,
// a `signal` where a `broadcast` is needed) loses or duplicates work or leaves a thread asleep
// forever, and rarely shows in a quick manual run. These tests hammer it from many threads and
// check every item; a thread left asleep shows up as a `Finished` count that never arrives.

import Glibc
@testable import Part3Pool
import ServerCore
import Testing

@Suite("BlockingQueue", .timeLimit(.minutes(2)))
struct BlockingQueueTests {
    @Test("items come out in the order they went in")
    func fifoOrder() {
        let queue = BlockingQueue<Int>(capacity: 4)
        var popped: [Int] = []
        // Fill and drain in steps that do not line up with the capacity, so every position is used.
        for round in 0..<5 {
            for item in (round * 3)..<(round * 3 + 3) { #expect(queue.push(item)) }
            for _ in 0..<3 { popped.append(queue.pop()!) }
        }
        #expect(popped == Array(0..<15))
        #expect(queue.count == 0)
    }

    @Test("many producers and consumers pass 100,000 items, none lost or duplicated")
    func manyProducersAndConsumers() throws {
        let producers = 8, consumers = 8, perProducer = 12_500
        let total = producers * perProducer
        let endOfWork = -1  // one per consumer, pushed after every real item
        let queue = BlockingQueue<Int>(capacity: 16)  // small, so both sides block often
        let received = Collected(consumers)
        let start = MonotonicClock.now()

        var threads: [JoinableThread<Void>] = []
        for consumer in 0..<consumers {
            threads.append(try JoinableThread {
                var mine: [Int] = []
                while let item = queue.pop(), item != endOfWork { mine.append(item) }
                received.store(mine, at: consumer)
            })
        }
        var producerThreads: [JoinableThread<Void>] = []
        for producer in 0..<producers {
            producerThreads.append(try JoinableThread {
                // Producer p pushes p*perProducer ..< (p+1)*perProducer, in increasing order.
                for item in (producer * perProducer)..<((producer + 1) * perProducer) {
                    precondition(queue.push(item), "the queue closed while producing")
                }
            })
        }
        for thread in producerThreads { thread.join() }
        for _ in 0..<consumers { #expect(queue.push(endOfWork)) }
        for thread in threads { thread.join() }
        let seconds = MonotonicClock.now() - start

        let lists = received.all
        let everything = lists.flatMap { $0 }
        #expect(everything.count == total, "items lost or duplicated")
        #expect(Set(everything) == Set(0..<total), "some item never arrived")
        // FIFO seen from one consumer: items of one producer arrive in the order they were pushed.
        for list in lists {
            var last = [Int](repeating: -1, count: producers)
            for item in list {
                let producer = item / perProducer
                #expect(item > last[producer], "consumer saw \(item) after \(last[producer])")
                last[producer] = item
            }
        }
        #expect(lists.allSatisfy { !$0.isEmpty }, "some consumer got no work at all")
        let perSecond = Int(Double(total) / max(seconds, 0.001))
        print("BlockingQueue stress: \(total) items, \(producers) producers, \(consumers) consumers, "
            + "capacity 16, \(Int(seconds * 1000)) ms (\(perSecond) items/s), per consumer \(lists.map(\.count))")
    }

    @Test("close() wakes consumers blocked on an empty queue")
    func closeReleasesConsumers() throws {
        let queue = BlockingQueue<Int>(capacity: 1)
        let finished = Finished()
        var threads: [JoinableThread<Void>] = []
        for _ in 0..<3 {
            threads.append(try JoinableThread {
                let item = queue.pop()
                finished.record(item == nil ? "nil" : "item")
            })
        }
        usleep(200_000)
        #expect(finished.count == 0, "pop returned from an empty, open queue")
        #expect(queue.close().isEmpty)
        // A thread still asleep would make `join` hang: fail instead, and leave it behind.
        try #require(finished.wait(for: 3, timeout: 10), "a consumer stayed blocked after close()")
        #expect(finished.results == ["nil", "nil", "nil"])
        for thread in threads { thread.join() }
        #expect(queue.pop() == nil, "pop on a closed queue must not block")
    }

    @Test("close() wakes producers blocked on a full queue and hands back what was queued")
    func closeReleasesProducers() throws {
        let queue = BlockingQueue<Int>(capacity: 1)
        #expect(queue.push(7))
        let finished = Finished()
        var threads: [JoinableThread<Void>] = []
        for item in 100..<103 {
            threads.append(try JoinableThread {
                finished.record(queue.push(item) ? "pushed" : "refused")
            })
        }
        threads.append(try JoinableThread {
            finished.record(queue.waitForRoom() ? "room" : "closed")
        })
        usleep(200_000)
        #expect(finished.count == 0, "push or waitForRoom returned although the queue was full")
        #expect(queue.close() == [7])
        try #require(finished.wait(for: 4, timeout: 10), "a producer stayed blocked after close()")
        #expect(finished.results.sorted() == ["closed", "refused", "refused", "refused"])
        for thread in threads { thread.join() }
        #expect(!queue.push(8), "push on a closed queue must refuse")
    }

    @Test("a producer blocked on a full queue continues as soon as a consumer pops")
    func popMakesRoom() throws {
        let queue = BlockingQueue<Int>(capacity: 2)
        #expect(queue.push(1) && queue.push(2))
        let finished = Finished()
        let producer = try JoinableThread { finished.record(queue.push(3) ? "pushed" : "refused") }
        usleep(200_000)
        #expect(finished.count == 0, "push did not wait on a full queue")
        #expect(queue.pop() == 1)
        try #require(finished.wait(for: 1, timeout: 10), "the producer was not woken by pop")
        producer.join()
        #expect([queue.pop(), queue.pop()] == [2, 3])
    }
}

/// Per-thread results, stored once each from different threads.
// @unchecked Sendable: `lists` is only touched with `mutex` locked.
final class Collected: @unchecked Sendable {
    private var lists: [[Int]]
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)  // never moves

    init(_ count: Int) {
        lists = Array(repeating: [], count: count)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func store(_ list: [Int], at index: Int) {
        pthread_mutex_lock(mutex)
        lists[index] = list
        pthread_mutex_unlock(mutex)
    }

    var all: [[Int]] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return lists
    }
}

/// Records which threads have got past a blocking call, and waits for them with a deadline,
/// so a thread that never wakes fails the test instead of hanging it.
// @unchecked Sendable: `entries` is only touched with `mutex` locked.
final class Finished: @unchecked Sendable {
    private var entries: [String] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)  // never moves

    init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func record(_ result: String) {
        pthread_mutex_lock(mutex)
        entries.append(result)
        pthread_mutex_unlock(mutex)
    }

    var results: [String] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return entries
    }

    var count: Int { results.count }

    /// Polls until `count` results are in or `timeout` seconds have passed.
    func wait(for count: Int, timeout: Double) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while self.count < count && MonotonicClock.now() < deadline { usleep(10_000) }
        return self.count >= count
    }
}
