// MonotonicClock, as Bench needs it: ServerCore's clock (`nanosecondsNow()`, which never goes
// back and costs tens of nanoseconds through the vDSO, cheap enough to read twice per message)
// plus two things only the load generator wants.

import Glibc
import ServerCore

extension MonotonicClock {
    /// `seconds` as nanoseconds.
    static func nanoseconds(_ seconds: Double) -> UInt64 {
        UInt64((max(0, seconds) * 1e9).rounded())
    }

    /// CPU time the calling thread has used, in nanoseconds: how busy the load generator
    /// itself is, so a report can show it was not the bottleneck.
    static func threadCPUTime() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
