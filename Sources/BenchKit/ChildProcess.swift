// ChildProcess: running Bench again in a fresh process and reading the number it prints.
//
// Some measurements must start from a clean process: memory per thread, because glibc keeps
// finished threads' stacks for reuse and a second run would find their pages already resident.

import Foundation

enum ChildProcess {
    /// Runs this Bench executable with `arguments` and returns the number on the last line of
    /// its output.
    static func runBench(_ arguments: [String]) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerUnderTest.benchFolder + "/Bench")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
              let last = text.split(separator: "\n").last, let value = Double(last.trimmingCharacters(in: .whitespaces))
        else {
            throw ChildProcessError(description: "Bench \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus)): \(text)")
        }
        return value
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    let description: String
}
