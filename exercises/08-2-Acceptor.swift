// Exercise 08-2: spread connections over event loops without SO_REUSEPORT.
//
// Part 4's `--loops N` gives each loop a listening socket of its own on the shared port, and the
// kernel picks one for each new connection by hashing its addresses and ports: no thread decides,
// but nobody can steer either, and a loop that is busy still gets its share. The other classic
// design (Netty's boss and worker groups, memcached's dispatcher thread) has one acceptor: one
// thread accepts every connection and hands the new descriptor to a loop, which from then on owns
// it. The acceptor can choose: here, round robin, so N loops get connections in turn.
//
// Write `acceptAndDistribute`: accept `count` clients from the blocking listener, one after the
// other, and hand client k (counting from 0) to `inboxes[k % inboxes.count]` with `post`, which
// wakes that loop through its eventfd (DescriptorInbox, given below). The loop then greets
// and serves the client; the acceptor never touches it again.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise08_2`). Stuck? `swift run Progress hint 08-2`.

// I AM NOT DONE

import CLinux
import Glibc
import ServerCore

/// Given: new clients' descriptors on their way from the acceptor to one loop. Like Part 4's
/// FinishedWork (Chapter 8), on ServerCore's Lock and eventfd helpers.
// @unchecked Sendable: `descriptors` is only touched inside `lock`; `fd` never changes.
final class DescriptorInbox: @unchecked Sendable {
    /// An eventfd the loop waits on: readable while descriptors wait to be taken.
    let fd: Int32
    private var descriptors: [Int32] = []
    private let lock = Lock()

    init() throws {
        fd = try retryingOnInterrupt("eventfd(2)") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
    }

    deinit {
        close(fd)
    }

    /// Called by the acceptor: gives the loop a new client's descriptor and wakes it.
    func post(_ client: Int32) {
        lock.withLock { descriptors.append(client) }
        wakeEventDescriptor(fd)
    }

    /// Called by the loop when `fd` is readable: the descriptors handed to it since the last take.
    func take() -> [Int32] {
        drainEventDescriptor(fd)  // first: a post after this read is in the list below, or wakes the loop again
        return lock.withLock {
            defer { descriptors.removeAll() }
            return descriptors
        }
    }
}

/// Accepts `count` clients from `listener` and hands them to `inboxes` in turn: client k to
/// `inboxes[k % inboxes.count]`.
func acceptAndDistribute(_ listener: Socket, to inboxes: [DescriptorInbox], clients count: Int) throws {
    // TODO: accept each client and post its descriptor to the inbox whose turn it is.
}
