// Diagnostics: how the runtime tells a person what went wrong, and the kernel limits it reports.
//
// Messages go to standard error in one write(2) each, prefixed `StateThreads:`, and always say
// what to change: a stack size, a kernel setting. `fatal` is for the states the runtime cannot
// recover from (a deadlock, a misused API); it prints the message and aborts.

import Glibc
import ServerCore

enum Diagnostics {
    /// Writes `message` and a newline to standard error in one call.
    static func write(_ message: String) {
        Log.write(line: message, to: STDERR_FILENO)
    }

    /// Prints `message` and stops the process.
    static func fatal(_ message: String) -> Never {
        write("StateThreads: " + message)
        abort()
    }

    /// `vm.max_map_count`: how many mappings (VMAs) the kernel allows one process.
    static func maxMapCount() -> Int {
        readFile("/proc/sys/vm/max_map_count").flatMap { Int($0.split(separator: "\n").first ?? "") } ?? 65530
    }

    /// How many mappings this process has now (lines of /proc/self/maps).
    static func currentMapCount() -> Int {
        readFile("/proc/self/maps").map { $0.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } } ?? 0
    }

    /// How many stacks may get a guard page: each costs two mappings, and the process keeps a
    /// reserve of 2,000 for everything else (the allocator, libraries, other threads).
    static func guardedStackBudget() -> Int {
        max(0, (maxMapCount() - currentMapCount() - 2000) / 2)
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            contents.append(contentsOf: chunk[..<count])
        }
        return String(decoding: contents, as: UTF8.self)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, negative ones as zero.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let whole = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if whole.overflow { return UInt64.max / 2 }
        return whole.partialValue + UInt64(attoseconds / 1_000_000_000)
    }
}
