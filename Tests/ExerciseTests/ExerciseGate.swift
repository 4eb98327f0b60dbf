// ExerciseGate: the trait that skips an exercise the learner has not attempted, in one line.
//
// Every exercise has one test, `exercise<id>_<name>()`, which carries `.exercise("<id>")`. Before
// it runs, the gate looks at the exercise's file in the folder this build compiled (see
// Package.swift): while the learner's stub still holds the line `// I AM NOT DONE`, the test is
// skipped and `swift test` prints one line with the exercise, the file to edit and the command
// that shows its hint (ExerciseCatalog's `notAttemptedMessage`), so a fresh clone is green. (One
// test per exercise, because Swift Testing repeats a suite's skip message for every test in it.)
// A reference solution (EXERCISES=solutions) holding the line is an error instead: solutions must
// be complete, and CI must see every one of them run.

import ExerciseCatalog
import Testing

#if EXERCISE_SOLUTIONS
/// The folder this build compiled: Package.swift defines EXERCISE_SOLUTIONS for the solutions.
let compiledFolder = ExerciseFolder.solutions
#else
/// The folder this build compiled: Package.swift defines EXERCISE_SOLUTIONS for the solutions.
let compiledFolder = ExerciseFolder.stubs
#endif

struct ExerciseGate: TestTrait {
    let id: String

    func prepare(for test: Test) async throws {
        guard let exercise = ExerciseCatalog.exercise(id: id) else {
            throw TestFailure("no exercise \(id) in ExerciseCatalog.all")
        }
        let path = exercise.relativePath(in: compiledFolder)
        guard let notDone = exercise.isMarkedNotDone(in: compiledFolder) else {
            throw TestFailure("cannot read \(path)")
        }
        guard notDone else { return }
        if compiledFolder == .solutions {
            throw TestFailure("\(path) still holds the line \(ExerciseCatalog.marker): a reference solution must be complete")
        }
        // Thrown while preparing, a cancellation skips the test: `➜ Test ... skipped: "..."`.
        try Test.cancel(Comment(rawValue: exercise.notAttemptedMessage))
    }
}

extension Trait where Self == ExerciseGate {
    /// Checks the test's exercise only once the learner has attempted it (see ExerciseGate).
    static func exercise(_ id: String) -> Self {
        ExerciseGate(id: id)
    }
}
