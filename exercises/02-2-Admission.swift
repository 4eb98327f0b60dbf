// Exercise 02-2: refuse clients instead of queueing them.
//
// Part2Threaded's `--max-clients` stops accepting when every slot is taken, so the next clients
// wait in the kernel's accept queue with no word from the server, for as long as it takes. The
// other answer is admission control: accept everyone, admit up to a limit, and tell the rest at
// once that the server is busy, so they can try again later or go elsewhere (graceful
// degradation). Write the counter the accept loop asks, and the function that turns a client away.
//
// The accept thread calls `tryAdmit()` while client threads call `leave()`, all at the same time:
// guard the count with a pthread mutex, as Part2Threaded's `ClientSlots` does.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise02_2`). Stuck? `swift run Progress hint 02-2`.

// I AM NOT DONE

import Glibc
import ServerCore

/// Admits up to `limit` clients at once and says no to the rest, from any thread.
// @unchecked Sendable: a promise that `admitted` is only touched with a mutex locked. Keep it!
final class AdmissionCounter: @unchecked Sendable {
    let limit: Int
    private var admitted = 0

    init(limit: Int) {
        self.limit = limit
        // TODO: set up the mutex (and tear it down in a deinit).
    }

    /// Admits one more client and returns true if fewer than `limit` are admitted; otherwise
    /// changes nothing and returns false.
    func tryAdmit() -> Bool {
        // TODO
        return false
    }

    /// Gives back the place a successful `tryAdmit()` took.
    func leave() {
        // TODO
    }

    /// Clients admitted right now.
    var count: Int {
        // TODO
        return 0
    }
}

/// The line a refused client reads before its connection closes.
let busyMessage = "server busy, try again later\n"

/// Turns a client away: sends `busyMessage`, then closes the socket. Never throws and never
/// fails loudly: if the client has already gone, there is nobody left to tell.
func refuse(_ client: Socket) {
    // TODO
}
