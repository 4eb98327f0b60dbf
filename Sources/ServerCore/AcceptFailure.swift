// AcceptFailure: what a blocking server does when `accept` itself fails.
//
// Most accept failures are about one connection (Linux passes a network error already pending
// on a queued connection, such as EPROTO or EHOSTUNREACH, to `accept` itself; accept(2) says to
// retry) or a passing shortage (out of file descriptors or memory). Neither is a reason to stop
// serving everyone else, so the servers log the failure and try again — after a short pause when
// the cause is a shortage, so the loop does not spin at 100% CPU.

import Glibc

// snippet: accept-failure
/// Logs a failed `accept` and pauses if retrying at once would only fail again.
public func recoverFromAcceptFailure(_ error: any Error) {
    Log.line("\(error); still serving, retrying")
    if let failure = error as? SystemCallError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(failure.code) {
        usleep(100_000)  // for descriptors or memory to be freed: by clients other threads serve, or other processes
    }
}
// end snippet
