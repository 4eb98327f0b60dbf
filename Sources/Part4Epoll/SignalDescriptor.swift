// SignalDescriptor: SIGINT and SIGTERM delivered as bytes on a descriptor, not as interruptions.
//
// A signal handler runs in the middle of whatever the loop was doing and may call almost nothing
// safely. A loop that already waits on descriptors has a better option: block the signals, so
// they are never delivered the usual way, and ask the kernel for a `signalfd` that becomes
// readable when one is pending. The loop then hears "please stop" the same way it hears "a
// client sent bytes": as one more readiness event from `epoll_wait`.

import CLinux
import Glibc
import ServerCore

struct SignalDescriptor {
    let fd: Int32

    // snippet: signalfd
    /// Blocks `signals` in the calling thread (main has already blocked them for every thread it
    /// starts) and returns a non-blocking descriptor that becomes readable when one of them arrives.
    init(for signals: [Int32]) throws {
        // Blocked signals stay pending instead of running their default action (terminate);
        // the signalfd is how we collect them.
        var mask = blockSignals(signals)
        fd = try retryingOnInterrupt("signalfd(2)") {
            signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        }
    }
    // end snippet

    /// Takes the pending signals off the descriptor and returns their numbers.
    func receive() -> [Int32] {
        var received: [Int32] = []
        var info = signalfd_siginfo()
        while true {
            let count = Glibc.read(fd, &info, MemoryLayout<signalfd_siginfo>.size)
            if count == MemoryLayout<signalfd_siginfo>.size {
                received.append(Int32(info.ssi_signo))
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return received  // EAGAIN: nothing more pending
            }
        }
    }

    /// `SIGINT`, `SIGTERM` or the number.
    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}
