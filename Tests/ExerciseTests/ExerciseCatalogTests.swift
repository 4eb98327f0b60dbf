// ExerciseCatalogTests: the catalog, the files and the README agree.
//
// Every exercise in ExerciseCatalog has a stub and a reference solution of the same file name,
// every solution is complete (no marker line), every hint comes in steps, the line that skips an
// unattempted exercise stays one short line, and exercises/README.md lists every exercise. These
// run in every build, stubs or solutions, so a half-added exercise is caught at once.

import ExerciseCatalog
import Testing

@Suite
struct ExerciseCatalogTests {
    @Test func idsAreUniqueAndInOrder() {
        let ids = ExerciseCatalog.all.map(\.id)
        #expect(Set(ids).count == ids.count, "two exercises share an id: \(ids)")
        #expect(ids == ids.sorted(), "exercises should be listed in the order they are done: \(ids)")
        for exercise in ExerciseCatalog.all {
            #expect(ExerciseCatalog.chapters[exercise.chapter] != nil, "\(exercise.id): no title for chapter \(exercise.chapter)")
        }
    }

    @Test(arguments: ExerciseCatalog.all.map(\.id))
    func stubAndSolutionExist(id: String) throws {
        let exercise = try #require(ExerciseCatalog.exercise(id: id))
        #expect(exercise.isMarkedNotDone(in: .stubs) != nil, "missing \(exercise.relativePath(in: .stubs))")
        let solutionNotDone = exercise.isMarkedNotDone(in: .solutions)
        #expect(solutionNotDone != nil, "missing \(exercise.relativePath(in: .solutions))")
        #expect(solutionNotDone != true, "\(exercise.relativePath(in: .solutions)) holds the marker line")
    }

    @Test(arguments: ExerciseCatalog.all.map(\.id))
    func hintsComeInSteps(id: String) throws {
        let exercise = try #require(ExerciseCatalog.exercise(id: id))
        #expect((2...4).contains(exercise.hints.count), "\(id): give the hint in 2 to 4 steps, the idea first, then the detail")
        #expect(!exercise.hints.contains { $0.isEmpty }, "\(id): an empty hint step")
    }

    @Test(arguments: ExerciseCatalog.all.map(\.id))
    func skipMessageIsOneShortLine(id: String) throws {
        let exercise = try #require(ExerciseCatalog.exercise(id: id))
        let message = exercise.notAttemptedMessage
        #expect(!message.contains("\n"), "\(id): the skip message must be one line")
        #expect(message.count <= 140, "\(id): the skip message is \(message.count) characters: \(message)")
        #expect(message.contains(exercise.relativePath(in: .stubs)) && message.contains("Progress hint \(id)"),
                "\(id): the skip message names the file to edit and the hint command")
        for step in exercise.hints {
            #expect(!message.contains(step), "\(id): the skip message must not give the hint away")
        }
    }

    @Test func readmeListsEveryExercise() throws {
        let readme = try #require(readTextFile(atPath: "\(ExerciseCatalog.packageRoot)/exercises/README.md"))
        for exercise in ExerciseCatalog.all {
            #expect(readme.contains("(\(exercise.fileName))"), "exercises/README.md does not link \(exercise.fileName)")
        }
    }
}
