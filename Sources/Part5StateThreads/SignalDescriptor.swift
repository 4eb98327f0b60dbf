// SignalDescriptor: SIGINT and SIGTERM as something a green thread can read.
//
// State Threads' advice: a scheduler waits for two kinds of events, descriptors and timers, so
// turn a signal into a descriptor event. Linux does it for us with signalfd: block the signals
// (so they stay pending instead of interrupting anyone), and read them from a descriptor that
// becomes readable when one is pending. The green thread that waits for a signal parks on that
// descriptor in the scheduler's epoll like any client socket does.

import CLinux
import Glibc
import ServerCore
import StateThreads

struct SignalDescriptor {
    let fd: Int32

    // snippet: signalfd
    /// Blocks `signals` in the calling thread and opens a descriptor that reads them.
    init(for signals: [Int32]) throws {
        var set = blockSignals(signals)
        fd = try retryingOnInterrupt("signalfd(2)") { signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
    }

    /// Waits (as a green thread) for the next signal and returns its number. Throws
    /// `GreenThreadError.timedOut` or `.interrupted` like any other green wait.
    func next(timeout: Duration? = nil) throws -> Int32 {
        var info = signalfd_siginfo()
        while true {
            let count = read(fd, &info, MemoryLayout<signalfd_siginfo>.size)
            if count == MemoryLayout<signalfd_siginfo>.size { return Int32(info.ssi_signo) }
            if count < 0 && errno == EINTR { continue }
            guard count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) else {
                throw SystemCallError("read(2) of a signalfd", code: count < 0 ? errno : EIO)
            }
            try Scheduler.waitUntilReadable(fd, timeout: timeout)
        }
    }
    // end snippet

    func close() {
        Scheduler.forgetDescriptor(fd)
        _ = Glibc.close(fd)
    }

    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}
