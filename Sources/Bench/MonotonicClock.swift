// MonotonicClock: nanoseconds that only move forward, for latencies and deadlines.
//
// CLOCK_MONOTONIC is not moved by NTP steps or by someone setting the date, so a latency can
// never come out negative. On Linux the call goes through the vDSO: no system call, tens of
// nanoseconds, cheap enough to take twice per message.

import Glibc

enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (boot).
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// `seconds` as nanoseconds.
    static func nanoseconds(_ seconds: Double) -> UInt64 {
        UInt64((max(0, seconds) * 1e9).rounded())
    }
}

extension MonotonicClock {
    /// CPU time the calling thread has used, in nanoseconds: how busy the load generator
    /// itself is, so a report can show it was not the bottleneck.
    static func threadCPUTime() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
