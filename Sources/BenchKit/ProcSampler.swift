// ProcSampler: what a server process costs right now, read from /proc/PID.
//
// `Bench compare` samples each server while the load runs: resident memory (VmRSS) and thread
// count from /proc/PID/status, CPU time (user + system) from /proc/PID/stat. For memory per idle
// connection it uses /proc/PID/smaps_rollup instead, which walks the page tables and is exact,
// where VmRSS comes from per-CPU counters that may lag by a few pages.

import Glibc

/// One reading of a process's costs.
struct ProcessSample: Sendable {
    /// Resident set size in bytes.
    var residentBytes: Int
    /// Kernel threads in the process.
    var threads: Int
    /// User plus system CPU time consumed so far, in seconds.
    var cpuSeconds: Double
}

struct ProcSampler {
    let pid: pid_t

    /// The process Bench itself runs in.
    static var current: ProcSampler { ProcSampler(pid: getpid()) }

    func sample() throws -> ProcessSample {
        let status = try ProcFile.read("/proc/\(pid)/status")
        return ProcessSample(
            residentBytes: (ProcFile.field("VmRSS", in: status) ?? 0) * 1024,
            threads: ProcFile.field("Threads", in: status) ?? 0,
            cpuSeconds: try cpuSeconds())
    }

    /// Resident bytes counted page by page (slower, exact).
    func exactResidentBytes() throws -> Int {
        let rollup = try ProcFile.read("/proc/\(pid)/smaps_rollup")
        return (ProcFile.field("Rss", in: rollup) ?? 0) * 1024
    }

    /// utime + stime from /proc/PID/stat, in seconds.
    func cpuSeconds() throws -> Double {
        let stat = try ProcFile.read("/proc/\(pid)/stat")
        // The command name (field 2) is in parentheses and may contain spaces; count from after it.
        guard let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so utime (field 14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
