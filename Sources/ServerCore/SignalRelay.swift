// SignalRelay: one SIGINT, heard by every event loop or scheduler of a server (Chapter 8).
//
// A server with one loop per core has several threads that each wait in their own epoll, and
// each watches its own signalfd. A signal sent to the process is pending for the process, so
// every signalfd becomes readable; but the first `read` takes the signal, and the other loops
// see their signalfd go quiet again. So the loop that read it announces it here, and the relay
// wakes every loop (itself included) through the eventfd each one registered: the loops learn of
// a shutdown the same way they learn of anything, as a readable descriptor. Each loop keeps its
// own count of the signals it has handled and asks for the ones after it.

import Glibc

// @unchecked Sendable: `received` and `wakeDescriptors` are only touched with `lock` held.
public final class SignalRelay: @unchecked Sendable {
    private var received: [Int32] = []
    private var wakeDescriptors: [Int32] = []
    private let lock = Lock()

    public init() {}

    /// Adds a loop's wake-up descriptor (an eventfd). It must stay open until no loop can
    /// announce a signal any more, i.e. until every loop has finished.
    public func register(wakeDescriptor fd: Int32) {
        locked { wakeDescriptors.append(fd) }
    }

    // snippet: announce
    /// Records `signal` and wakes every registered loop: adding 1 to an eventfd's counter makes
    /// it readable.
    public func announce(_ signal: Int32) {
        let descriptors = locked {
            received.append(signal)
            return wakeDescriptors
        }
        for fd in descriptors { wakeEventDescriptor(fd) }
    }
    // end snippet

    /// The signals announced after the first `count`, oldest first.
    public func signals(after count: Int) -> [Int32] {
        locked { count < received.count ? Array(received[count...]) : [] }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.withLock(body)
    }
}

/// Adds 1 to an eventfd's counter, which makes it readable. The counter saturates only after
/// 2^64 - 2 unread wake-ups, so on a non-blocking eventfd this never waits and never fails in practice.
public func wakeEventDescriptor(_ fd: Int32) {
    var one: UInt64 = 1
    while Glibc.write(fd, &one, MemoryLayout<UInt64>.size) < 0 && errno == EINTR {}
}

/// Reads (and so resets) an eventfd's counter; 0 if nobody had written to it.
@discardableResult
public func drainEventDescriptor(_ fd: Int32) -> UInt64 {
    var count: UInt64 = 0
    while Glibc.read(fd, &count, MemoryLayout<UInt64>.size) < 0 {
        if errno != EINTR { return 0 }  // EAGAIN: nothing written since the last read
    }
    return count
}
