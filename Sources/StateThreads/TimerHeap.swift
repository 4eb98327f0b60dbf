// TimerHeap: the sleeping threads (and the waits with a timeout), earliest deadline first.
//
// The scheduler needs two answers quickly: "how long may epoll_wait sleep?" (the earliest
// deadline: the top of the heap) and "who is due now?" (pop while the top is due). A binary
// min-heap gives both in O(log n) and stores one pointer per timer. Each record remembers its
// position in the heap, so a timer can also be cancelled in O(log n) when the thread is woken by
// something else first (its descriptor became ready, it was interrupted).
//
// Equal deadlines are ordered by arrival (`timerSequence`), so sleepers with the same deadline
// wake first-come first-served, like everything else in the scheduler.

struct TimerHeap {
    private var heap: [ThreadPointer] = []
    private var sequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    /// The earliest deadline, if any timer is armed.
    var nextDeadline: UInt64? { heap.first?.pointee.deadline }

    /// Arms `thread`'s timer for `thread.pointee.deadline`.
    mutating func insert(_ thread: ThreadPointer) {
        sequence &+= 1
        thread.pointee.timerSequence = sequence
        heap.append(thread)
        thread.pointee.timerIndex = heap.count - 1
        siftUp(heap.count - 1)
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    mutating func popDue(now: UInt64) -> ThreadPointer? {
        guard let first = heap.first, first.pointee.deadline <= now else { return nil }
        remove(first)
        return first
    }

    /// Disarms `thread`'s timer.
    mutating func remove(_ thread: ThreadPointer) {
        let index = thread.pointee.timerIndex
        precondition(index >= 0 && index < heap.count && heap[index] == thread, "timer heap out of step")
        thread.pointee.timerIndex = -1
        let last = heap.removeLast()
        guard index < heap.count else { return }  // it was the last element
        heap[index] = last
        last.pointee.timerIndex = index
        siftDown(index)
        siftUp(index)
    }

    private func earlier(_ a: ThreadPointer, _ b: ThreadPointer) -> Bool {
        let (first, second) = (a.pointee.deadline, b.pointee.deadline)
        return first != second ? first < second : a.pointee.timerSequence < b.pointee.timerSequence
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard earlier(heap[child], heap[parent]) else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && earlier(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && earlier(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { return }
            swapAt(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapAt(_ i: Int, _ j: Int) {
        heap.swapAt(i, j)
        heap[i].pointee.timerIndex = i
        heap[j].pointee.timerIndex = j
    }
}
