// ServerUnderTest: one server executable `Bench compare` measures, and what it can be asked.
//
// The servers are found next to the Bench binary (a release build puts every executable of the
// package in one folder), so `compare` measures whichever of them have been built. A server that cannot serve many clients at once — the sequential
// one — is measured only where that makes sense, and every table and chart says so.

import Foundation
import Harness

struct ServerUnderTest: Sendable {
    /// Every server of the tutorial, in chapter order: the five Parts, then Chapter 7's two.
    static let tutorialServers = [
        "Part1Sequential", "Part2Threaded", "Part3Pool", "Part4Epoll", "Part5StateThreads",
        "AsyncAwaitServer", "SwiftNIOServer",
    ]

    /// Servers that cannot take any number of concurrent clients: the most they can, and why.
    static let clientLimits: [String: (clients: Int, note: String)] = [
        "Part1Sequential": (1, "serves one client at a time, so it is measured at 1 client only"),
    ]

    /// Arguments a server gets unless `--arguments NAME=...` says otherwise. A pool serves only
    /// as many clients at once as it has threads, and closed-loop clients never leave, so a
    /// smaller pool would leave the rest waiting for a greeting: it is sized to the load.
    static let defaultArguments: [String: [String]] = [
        "Part3Pool": ["--threads", "{clients}"],
    ]

    /// What the server is called in tables, CSV files and legends: the executable's name, or
    /// for a variant the whole `--servers` entry (`Part4Epoll --loops 2`).
    var name: String
    var executable: String
    var arguments: [String] = []
    /// The executable's name (`Part4Epoll`), which its limits and default arguments go by.
    var program: String

    init(name: String, executable: String, arguments: [String]? = nil) {
        self.name = name
        self.executable = executable
        self.program = name
        self.arguments = arguments ?? Self.defaultArguments[name] ?? []
    }

    // snippet: variant
    /// A variant: one executable with arguments of its own, measured as a server of its own,
    /// e.g. `--servers 'Part4Epoll,Part4Epoll --loops 2'` compares one event loop with two. The
    /// entry is its name; its arguments come after the executable's defaults.
    init(variant entry: String, executable: String) {
        let words = entry.split(separator: " ").map(String.init)
        self.init(name: words[0], executable: executable)
        name = words.joined(separator: " ")
        arguments += words.dropFirst()
    }
    // end snippet

    /// Whether this is a variant (`Part4Epoll --loops 2`) rather than a plain executable.
    var isVariant: Bool { name != program }

    /// The most concurrent clients worth measuring (nil: no limit).
    var maxClients: Int? { Self.clientLimits[program]?.clients }
    var limitNote: String? { Self.clientLimits[program]?.note }

    /// `Part1Sequential (1 client only)`, `Part3Pool (--threads {clients})` in legends; the plain
    /// name otherwise, and a variant's entry as it was given.
    var label: String {
        if let maxClients { return "\(name) (\(maxClients) client\(maxClients == 1 ? "" : "s") only)" }
        if isVariant { return name }
        return arguments.isEmpty ? name : "\(name) (\(arguments.joined(separator: " ")))"
    }

    /// Arguments with `{clients}` replaced by the run's client count, so a server can be sized
    /// to the load (e.g. `--threads {clients}` for a pool).
    func arguments(forClients clients: Int) -> [String] {
        arguments.map { $0.replacingOccurrences(of: "{clients}", with: String(clients)) }
    }

    /// The folder the running Bench executable is in (e.g. `.build/x86_64-unknown-linux-gnu/release`).
    static var benchFolder: String { ServerProcess.buildDirectory }

    /// The tutorial's servers present in `folder`, in chapter order.
    static func available(in folder: String) -> [String] {
        tutorialServers.filter { FileManager.default.isExecutableFile(atPath: (folder as NSString).appendingPathComponent($0)) }
    }
}
