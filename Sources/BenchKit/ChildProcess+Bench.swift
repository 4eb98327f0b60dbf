// ChildProcess+Bench: running Bench again in a fresh process and reading the number it prints.
//
// Some measurements must start from a clean process: memory per thread, because glibc keeps
// finished threads' stacks for reuse and a second run would find their pages already resident.

import Harness

extension ChildProcess {
    /// Runs this Bench executable with `arguments` and returns the number on the last line of
    /// its output.
    static func runBench(_ arguments: [String]) throws -> Double {
        let bench = try ChildProcess(path: ServerUnderTest.benchFolder + "/Bench", arguments: arguments)
        let ended = bench.waitForExit(timeout: 24 * 3600)  // a measurement ends when it ends
        let text = bench.output
        guard let ended, ended.status == 0,
              let words = text.split(separator: "\n").last?.split(whereSeparator: \.isWhitespace),
              words.count == 1, let value = Double(words[0])
        else {
            throw HarnessError("Bench \(arguments.joined(separator: " ")) failed (\(ended.map { "status \($0.status)" } ?? "still running")): \(text)")
        }
        return value
    }
}
