// MonotonicClock: time that only ever goes forward, for deadlines, "how long did it wait" and
// latencies; the one clock every module of the repository reads.
//
// The wall clock (`CLOCK_REALTIME`, what `Log` prints) can jump when the system time is set, so
// timeouts are measured on `CLOCK_MONOTONIC`, which counts from an arbitrary point and never
// goes back.

import Glibc

public enum MonotonicClock {
    /// Seconds since an arbitrary fixed point; only differences mean anything.
    public static func now() -> Double {
        let time = timespecNow()
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1_000_000_000
    }

    /// Nanoseconds since the same fixed point, as an integer: for latencies and timers, where a
    /// `Double` of seconds since boot would round away the last few hundred nanoseconds.
    @inlinable
    public static func nanosecondsNow() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// The `timespec` `seconds` from now, as `pthread_cond_timedwait` on a monotonic
    /// condition variable wants its deadline.
    public static func deadline(after seconds: Double) -> timespec {
        var time = timespecNow()
        let seconds = min(max(seconds, 0), 1_000_000_000)  // ~31 years is "forever" and cannot overflow
        let whole = seconds.rounded(.down)
        time.tv_sec += Int(whole)
        time.tv_nsec += Int((seconds - whole) * 1_000_000_000)
        if time.tv_nsec >= 1_000_000_000 {
            time.tv_sec += 1
            time.tv_nsec -= 1_000_000_000
        }
        return time
    }

    private static func timespecNow() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time
    }
}
