// ProcSampler: what a server process costs right now, read from /proc/PID.
//
// `Bench compare` samples each server while the load runs, and the behaviour tests check a
// server's memory and CPU time the same way: resident memory (VmRSS) and thread count from
// /proc/PID/status, CPU time (user + system) from /proc/PID/stat, open descriptors from
// /proc/PID/fd. For memory per idle connection Bench uses /proc/PID/smaps_rollup instead, which
// walks the page tables and is exact, where VmRSS comes from per-CPU counters that may lag by a
// few pages.

import Glibc

/// One reading of a process's costs.
public struct ProcessSample: Sendable {
    /// Resident set size in bytes.
    public var residentBytes: Int
    /// Kernel threads in the process.
    public var threads: Int
    /// User plus system CPU time consumed so far, in seconds.
    public var cpuSeconds: Double

    public init(residentBytes: Int, threads: Int, cpuSeconds: Double) {
        self.residentBytes = residentBytes
        self.threads = threads
        self.cpuSeconds = cpuSeconds
    }
}

public struct ProcSampler: Sendable {
    public let pid: pid_t

    public init(pid: pid_t) {
        self.pid = pid
    }

    /// The process Bench itself runs in.
    public static var current: ProcSampler { ProcSampler(pid: getpid()) }

    public func sample() throws -> ProcessSample {
        let status = try ProcFile.read("/proc/\(pid)/status")
        return ProcessSample(
            residentBytes: (ProcFile.field("VmRSS", in: status) ?? 0) * 1024,
            threads: ProcFile.field("Threads", in: status) ?? 0,
            cpuSeconds: try cpuSeconds())
    }

    /// Resident bytes counted page by page (slower, exact).
    public func exactResidentBytes() throws -> Int {
        let rollup = try ProcFile.read("/proc/\(pid)/smaps_rollup")
        return (ProcFile.field("Rss", in: rollup) ?? 0) * 1024
    }

    /// utime + stime from /proc/PID/stat, in seconds.
    public func cpuSeconds() throws -> Double {
        let stat = try ProcFile.read("/proc/\(pid)/stat")
        // The command name (field 2) is in parentheses and may contain spaces; count from after it.
        guard let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so utime (field 14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The number of descriptors the process has open (entries in `/proc/PID/fd`), or -1 if the
    /// directory cannot be read (the process is gone).
    public func openDescriptorCount() -> Int {
        guard let directory = opendir("/proc/\(pid)/fd") else { return -1 }  // glibc opens it O_CLOEXEC
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != Array(".".utf8) && name != Array("..".utf8) { count += 1 }
        }
        return count
    }
}
