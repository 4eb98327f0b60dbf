// Progress: `swift run Progress` lists every exercise as done, failing or not attempted, and says
// what to do next (the rustlings progress view). `swift run Progress hint <id>` shows an
// exercise's hint one step at a time; `swift run Progress solution <id>` shows its reference
// solution once the learner has attempted it.
//
// An exercise whose file still holds `// I AM NOT DONE` is not attempted; nothing is run for it.
// For the others, Progress builds the tests once (`swift build --build-tests`) and runs each
// exercise's test on its own (`swift test --skip-build --filter <test>`), reading the outcome from
// the exit status and the test's own lines. Running swift from inside `swift run` works: `swift
// run` holds no lock on the build folder while the tool runs. Everything it says about an exercise
// (title, file, hint steps) comes from ExerciseCatalog, the list the tests' skip messages use too. This
// is a tool, not server code, so it may use Foundation for processes and text.

import ArgumentParser
import ExerciseCatalog
import Foundation

struct ExerciseProgress: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Progress",
        abstract: "Shows which exercises are done, failing or not attempted, and what to do next.",
        discussion: """
            Exercises live in exercises/. Delete the line \(ExerciseCatalog.marker) from an exercise \
            when you want it checked. With EXERCISES=solutions the reference solutions are checked \
            instead.
            """,
        subcommands: [Report.self, HintCommand.self, SolutionCommand.self],
        defaultSubcommand: Report.self)
}

/// `swift run Progress` (or `swift run Progress report`): the list and the next step.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Lists every exercise as done, failing or not attempted, and says what to do next.")

    @Flag(help: "Only read the marker lines; do not build or run any test.")
    var noCheck = false

    @Flag(help: "Show the whole test output of a failing exercise.")
    var verbose = false

    func run() throws {
        let folder = ExerciseFolder.fromEnvironment
        var statuses = ExerciseCatalog.all.map { exercise -> Status in
            switch exercise.isMarkedNotDone(in: folder) {
            case nil: .missing
            case true?: .notAttempted
            case false?: .unchecked
            }
        }
        let attempted = statuses.indices.filter { statuses[$0] == .unchecked }
        if !noCheck && !attempted.isEmpty {
            try check(attempted, into: &statuses, folder: folder)
        }
        printList(statuses, folder: folder)
        printNextStep(statuses, folder: folder)
    }

    /// Builds once, then runs each attempted exercise's test.
    func check(_ attempted: [Int], into statuses: inout [Status], folder: ExerciseFolder) throws {
        say("Building the exercises and their tests (swift build --build-tests)...")
        let build = try runSwift(["build", "--build-tests"])
        guard build.status == 0 else {
            let errors = compilerErrors(in: build.output)
            for (index, exercise) in ExerciseCatalog.all.enumerated() {
                // An exercise's own errors count even while it is marked not done: they stop the
                // build for every exercise.
                let own = errors.filter { $0.contains("/\(folder.path)/\(exercise.fileName):") }
                if !own.isEmpty {
                    statuses[index] = .doesNotCompile(own)
                } else if attempted.contains(index) {
                    statuses[index] = .blockedByBuild
                }
            }
            let elsewhere = errors.filter { line in
                !ExerciseCatalog.all.contains { line.contains("/\(folder.path)/\($0.fileName):") }
            }
            if !elsewhere.isEmpty || errors.isEmpty {
                say("\nThe package does not build:")
                for line in (errors.isEmpty ? lastLines(of: build.output, 20) : elsewhere) { say("  \(line)") }
            }
            return
        }
        for index in attempted {
            let exercise = ExerciseCatalog.all[index]
            say("Running \(exercise.id)'s test (swift test --filter \(exercise.testName))...")
            let test = try runSwift(["test", "--skip-build", "--filter", exercise.testName])
            statuses[index] = outcome(of: test, for: exercise)
        }
        say("")
    }

    /// Reads one exercise's test run: its exit status and its own lines.
    func outcome(of run: ProcessResult, for exercise: Exercise) -> Status {
        let name = "Test \(exercise.testName)()"
        let lines = run.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if run.status == 0 && lines.contains(where: { $0.contains("\(name) passed") }) { return .done }
        if lines.contains(where: { $0.contains("\(name) skipped") }) { return .notAttempted }
        if run.status == 0 { return .failing(["no test named \(exercise.testName) ran; is it in Tests/ExerciseTests?"]) }
        if verbose { return .failing(lines) }
        // Each issue: the `✘ ... recorded an issue` line and the `↳` details that follow it.
        var report: [String] = []
        var inIssue = false
        for line in lines {
            if line.contains(name) && line.contains("recorded an issue") {
                report.append(line)
                inIssue = true
            } else if inIssue && line.hasPrefix("↳") {
                report.append(line)
            } else {
                inIssue = false
            }
        }
        return .failing(report.isEmpty ? crashReport(lines, for: exercise) : report)
    }

    /// No issue lines: the test process itself crashed (an overflow, a `try!`, a force unwrap).
    /// The runtime's message and the backtrace frames in the exercise's file say where.
    func crashReport(_ lines: [String], for exercise: Exercise) -> [String] {
        let messages = lines.filter { line in
            (line.contains("Fatal error") || line.contains("runtime failure")) && !line.contains(" 0x")  // not a frame
        }
        let frames = lines.compactMap { line -> String? in
            guard line.contains("/\(ExerciseFolder.fromEnvironment.path)/\(exercise.fileName):"),
                  let match = line.firstMatch(of: #/0x[0-9a-f]+ (.+) \+ \d+ in .* at (\S+)$/#) else { return nil }
            return "  in \(match.1) at \(relativeToPackage(String(match.2)))"
        }
        guard !messages.isEmpty || !frames.isEmpty else { return lastLines(of: lines.joined(separator: "\n"), 15) }
        return ["The test crashed:"] + messages.map { $0.trimmingCharacters(in: .whitespaces) } + frames
    }

    func printList(_ statuses: [Status], folder: ExerciseFolder) {
        say("Exercises in \(folder.path)/")
        var chapter = 0
        for (exercise, status) in zip(ExerciseCatalog.all, statuses) {
            if exercise.chapter != chapter {
                chapter = exercise.chapter
                say("\n" + (ExerciseCatalog.chapters[chapter] ?? "Chapter \(chapter)"))
            }
            let title = exercise.title.padding(toLength: 44, withPad: " ", startingAt: 0)
            say("  \(status.symbol) \(exercise.id)  \(title) \(status.label)")
        }
        let done = statuses.filter { $0 == .done }.count
        say("\n\(done) of \(statuses.count) exercises done.")
    }

    /// The rustlings "what to do next": the first exercise that does not compile, else the first
    /// failing attempt, else the first one not done, with its file and how to get a hint.
    func printNextStep(_ statuses: [Status], folder: ExerciseFolder) {
        let uncompiled = statuses.firstIndex { if case .doesNotCompile = $0 { true } else { false } }
        // An attempt that fails comes before an exercise not yet started: it is what the learner
        // is working on, and its report says what went wrong.
        let failing = statuses.firstIndex { if case .failing = $0 { true } else { false } }
        guard let next = uncompiled ?? failing ?? statuses.firstIndex(where: { $0 != .done }) else {
            say("\nAll done. Compare your code with the reference solutions in exercises/solutions/.")
            return
        }
        let exercise = ExerciseCatalog.all[next]
        let file = exercise.relativePath(in: folder)
        say("\nNext: \(exercise.id) \(exercise.title) (\(statuses[next].label))")
        switch statuses[next] {
        case .notAttempted:
            say("  Edit \(file). When you want it checked, delete its line \(ExerciseCatalog.marker)")
            say("  and run `swift run Progress` again.")
        case .unchecked:
            say("  Edit \(file); run `swift run Progress` without --no-check to have it checked.")
        case .doesNotCompile(let errors):
            say("  Fix \(file) so it compiles:")
            for line in errors { say("    \(relativeToPackage(line))") }
        case .blockedByBuild:
            say("  The package does not build (errors above), so \(file) could not be checked.")
        case .failing(let report):
            say("  Edit \(file) until its test passes; `swift test --filter \(exercise.testName)` runs it.")
            say("  What failed:")
            for line in report { say("    \(line)") }
        case .missing:
            say("  \(file) is missing: `git checkout -- \(file)` brings the stub back.")
        case .done:
            break
        }
        say("")
        say("  Stuck? `\(exercise.hintCommand)` gives a hint, one step at a time.")
    }
}

/// `swift run Progress hint 04-1 [--step N | --all]`: the hint, one step at a time.
struct HintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hint",
        abstract: "Shows an exercise's hint, one step at a time: the idea first, then the detail.",
        discussion: """
            Without --step, shows step 1; --step N shows steps 1 to N. Each output ends with the \
            command for the next step, so you can stop as soon as you know enough. The last step \
            may show the shape of the code, never the whole answer.
            """)

    @Argument(help: "The exercise, e.g. 04-1.")
    var id: String

    @Option(help: "Show steps 1 to this one (1 is the idea; later steps are more detailed).")
    var step: Int = 1

    @Flag(help: "Show every step.")
    var all = false

    func validate() throws {
        guard let exercise = ExerciseCatalog.exercise(id: id) else { throw unknownExercise(id) }
        guard (1...exercise.hints.count).contains(step) else {
            throw ValidationError("\(id) has hint steps 1 to \(exercise.hints.count)")
        }
    }

    func run() throws {
        let exercise = ExerciseCatalog.exercise(id: id)!
        let steps = all ? Array(1...exercise.hints.count) : Array(1...step)
        say("\(exercise.id) \(exercise.title) (\(exercise.relativePath(in: .stubs)))")
        for number in steps {
            say("")
            say(wrapped("Hint \(number) of \(exercise.hints.count): \(exercise.hints[number - 1])", indent: "  "))
        }
        say("")
        if let last = steps.last, last < exercise.hints.count {
            say("More detail: `swift run Progress hint \(exercise.id) --step \(last + 1)`")
        } else {
            say("That is every hint. Once you have attempted the exercise, `swift run Progress solution \(exercise.id)` shows the reference solution.")
        }
    }
}

/// `swift run Progress solution 04-1`: the reference solution, once the exercise is attempted.
///
/// "Attempted" is the marker line deleted, not "passing": a learner who has tried and is stuck
/// with a failing attempt learns most from comparing, and the solutions are in the repository
/// anyway, so the gate only asks for an honest try first. Checking "passing" would also mean a
/// build and a test run for every look.
struct SolutionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solution",
        abstract: "Shows an exercise's reference solution, once you have attempted the exercise.")

    @Argument(help: "The exercise, e.g. 04-1.")
    var id: String

    func validate() throws {
        guard ExerciseCatalog.exercise(id: id) != nil else { throw unknownExercise(id) }
    }

    func run() throws {
        let exercise = ExerciseCatalog.exercise(id: id)!
        let stub = exercise.relativePath(in: .stubs)
        switch exercise.isMarkedNotDone(in: .stubs) {
        case true?:
            say("\(exercise.id) is not attempted yet: \(stub) still holds the line \(ExerciseCatalog.marker).")
            say("Try first (`\(exercise.hintCommand)` helps); delete that line when you want your attempt")
            say("checked, and this command will then show the reference solution to compare with.")
            throw ExitCode(1)
        case nil:
            say("cannot read \(stub); `git checkout -- \(stub)` brings the stub back.")
            throw ExitCode(1)
        case false?:
            let path = exercise.absolutePath(in: .solutions)
            guard let text = readTextFile(atPath: path) else {
                say("cannot read \(exercise.relativePath(in: .solutions))")
                throw ExitCode(1)
            }
            say("// \(exercise.relativePath(in: .solutions)): the reference solution of \(exercise.id) \(exercise.title).")
            say("// Compare it with \(stub); `swift run Progress` says whether yours passes.\n")
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}

/// The error for an id that names no exercise, with the ids that do.
func unknownExercise(_ id: String) -> ValidationError {
    ValidationError("no exercise \(id); the exercises are \(ExerciseCatalog.all.map(\.id).joined(separator: ", "))")
}

/// Where one exercise stands.
enum Status: Equatable {
    case notAttempted
    /// Attempted (no marker line) but not built or run: --no-check.
    case unchecked
    case done
    case failing([String])
    case doesNotCompile([String])
    /// Attempted, but the package failed to build because of some other file.
    case blockedByBuild
    case missing

    var label: String {
        switch self {
        case .notAttempted: "not attempted"
        case .unchecked: "attempted, not checked"
        case .done: "done"
        case .failing: "failing"
        case .doesNotCompile: "does not compile"
        case .blockedByBuild: "not checked: the build failed"
        case .missing: "file missing"
        }
    }

    var symbol: String {
        switch self {
        case .done: "✔"
        case .notAttempted, .unchecked: "·"
        case .failing, .doesNotCompile, .blockedByBuild, .missing: "✘"
        }
    }
}

/// A finished `swift` command: its exit status and everything it printed, stdout and stderr.
struct ProcessResult {
    let status: Int32
    let output: String
}

/// Runs `swift` with `arguments` in the package root and waits for it.
func runSwift(_ arguments: [String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["swift"] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: ExerciseCatalog.packageRoot)
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    // Read before waiting: a child that fills the pipe would otherwise wait for us forever.
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// The compiler's `error:` lines, each once (the driver may print an error more than once).
func compilerErrors(in output: String) -> [String] {
    var seen = Set<String>()
    return output.split(separator: "\n").map(String.init).filter { line in
        line.contains(": error: ") && seen.insert(line).inserted
    }
}

/// `path` relative to the package root, if it is inside it.
func relativeToPackage(_ path: String) -> String {
    let root = ExerciseCatalog.packageRoot + "/"
    return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
}

func lastLines(of output: String, _ count: Int) -> [String] {
    output.split(separator: "\n").suffix(count).map(String.init)
}

/// `text` broken into lines of at most 96 characters, each starting with `indent`.
func wrapped(_ text: String, indent: String) -> String {
    var lines: [String] = []
    var line = indent
    for word in text.split(separator: " ") {
        if line.count > indent.count && line.count + 1 + word.count > 96 {
            lines.append(line)
            line = indent
        }
        line += (line.count > indent.count ? " " : "") + word
    }
    lines.append(line)
    return lines.joined(separator: "\n")
}

/// Prints one line at once, so it shows while the slow steps after it run.
func say(_ text: String) {
    print(text)
    fflush(nil)
}

ExerciseProgress.main()
