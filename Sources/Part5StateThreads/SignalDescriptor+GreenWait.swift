// SignalDescriptor+GreenWait: SIGINT and SIGTERM as something a green thread can read.
//
// State Threads' advice: a scheduler waits for two kinds of events, descriptors and timers, so
// turn a signal into a descriptor event. Linux does it for us with signalfd (ServerCore's
// SignalDescriptor, which Part 4 puts in its epoll set): block the signals, so they stay pending
// instead of interrupting anyone, and read them from a descriptor that becomes readable when one
// is pending. The green thread that waits for a signal parks on that descriptor in the
// scheduler's epoll like any client socket does.

import CLinux
import Glibc
import ServerCore
import StateThreads

extension SignalDescriptor {
    // snippet: green-wait
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

    /// Closes the descriptor, telling the scheduler first so its epoll set forgets it.
    func close() {
        Scheduler.forgetDescriptor(fd)
        _ = Glibc.close(fd)
    }
}
