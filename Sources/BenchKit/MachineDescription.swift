// MachineDescription: which machine a figure was taken on, and when.
//
// A throughput figure without its machine is a rumour. Every CSV and chart Bench writes carries
// the CPU model, the number of cores, the kernel and the date, read here from /proc/cpuinfo,
// sysconf and uname.

import Foundation
import Glibc
import Harness

struct MachineDescription: Sendable {
    var cpuModel: String
    var cores: Int
    var kernel: String
    /// UTC, `2026-11-23 11:40 UTC`.
    var date: String

    static func current(now: Date = Date()) -> MachineDescription {
        let cpuinfo = (try? ProcFile.read("/proc/cpuinfo")) ?? ""
        let model = cpuinfo.split(separator: "\n")
            .first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        var names = utsname()
        uname(&names)
        let system = withUnsafeBytes(of: &names.sysname) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return MachineDescription(
            cpuModel: model, cores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            kernel: "\(system) \(release)", date: formatter.string(from: now))
    }

    /// `AMD EPYC, 2 cores, Linux 6.18.44`
    var summary: String { "\(cpuModel), \(cores) cores, \(kernel)" }

    /// `measured 2026-11-23 11:40 UTC on AMD EPYC, 2 cores, Linux 6.18.44`
    var line: String { "measured \(date) on \(summary)" }

    /// The same facts as key–value pairs, for file headers.
    var fields: [(String, String)] {
        [("date", date), ("cpu", cpuModel), ("cores", String(cores)), ("kernel", kernel)]
    }
}
