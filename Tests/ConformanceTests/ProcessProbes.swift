// ProcessProbes: what the behaviour suites read about a running server from /proc — its memory
// and its CPU time — and the descriptor limit they raise before opening a thousand connections.
// Shared by EventLoopTests (Part 4) and GreenServerTests (Part 5), which test the same promises.

import Glibc
import ServerCore

/// A field of /proc/PID/status in kB (`VmRSS`), or nil if the process is gone.
func statusKilobytes(_ field: String, pid: pid_t) -> Int? {
    guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix(field + ":") else { continue }
        let number = text.dropFirst(field.count + 1).split(whereSeparator: { " \t\n".contains($0) }).first
        return number.flatMap { Int($0) }
    }
    return nil
}

/// CPU time (user + system) the process has used, in seconds, from /proc/PID/stat.
func cpuSeconds(pid: pid_t) -> Double? {
    guard let file = fopen("/proc/\(pid)/stat", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 1024)
    guard fgets(&line, Int32(line.count), file) != nil else { return nil }
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // The command name in parentheses may contain spaces; the fields after it are fixed.
    guard let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Raises this process's soft descriptor limit to at least `wanted` (within the hard limit).
/// Servers started afterwards inherit it.
func raiseDescriptorLimit(to wanted: Int) throws {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    guard limit.rlim_cur < rlim_t(wanted) else { return }
    guard limit.rlim_max >= rlim_t(wanted) else {
        throw HarnessError("RLIMIT_NOFILE hard limit is \(limit.rlim_max); this test needs \(wanted)")
    }
    limit.rlim_cur = rlim_t(wanted)
    try retryingOnInterrupt("setrlimit(2)") { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
}
