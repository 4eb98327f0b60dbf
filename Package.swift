// swift-tools-version:6.0
// Concurrent Servers in Swift: one protocol, five ways of serving many clients at once.
// The module map is in DESIGN order: ServerCore at the bottom, one executable per Part on top.
import PackageDescription

// `EXERCISES=solutions swift test` builds the reference solutions in place of the learner's
// stubs, so CI can prove every exercise is solvable against the very tests the learner runs.
let exercisesPath = Context.environment["EXERCISES"] == "solutions" ? "exercises/solutions" : "exercises"

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "ConcurrentServers",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        // The protocol (pure), a thin socket layer over Glibc, shared server options and logging.
        .target(name: "ServerCore", dependencies: [argumentParser]),
        // Linux headers the Glibc module lacks (epoll, signalfd, accept4): a module map, no C code.
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),

        // The servers, one per chapter.
        .executableTarget(name: "Part1Sequential", dependencies: ["ServerCore", argumentParser]),
        .executableTarget(name: "Part2Threaded", dependencies: ["ServerCore", argumentParser]),
        .executableTarget(name: "Part4Epoll", dependencies: ["ServerCore", "CLinux", argumentParser]),

        // Tools: the client simulator and the exercise progress report.
        .executableTarget(name: "Client", dependencies: ["ServerCore", argumentParser]),
        .executableTarget(name: "Progress", dependencies: ["ExerciseCatalog", argumentParser]),
        // The instrument: a verifying load generator, the side-by-side runner and micro-benchmarks.
        .executableTarget(
            name: "Bench",
            dependencies: [
                "ServerCore", "CLinux", argumentParser,
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),

        // The list of exercises (id, title, file, hint) that the exercise tests and Progress share.
        .target(name: "ExerciseCatalog"),

        // The learner's exercises (or, with EXERCISES=solutions, the reference solutions).
        .target(
            name: "Exercises",
            dependencies: ["ServerCore"],
            path: exercisesPath,
            exclude: exercisesPath == "exercises" ? ["solutions", "README.md"] : []
        ),

        .testTarget(name: "ServerCoreTests", dependencies: ["ServerCore"]),
        .testTarget(
            name: "ConformanceTests",
            // Depending on the executables makes `swift test` build them before the suite runs.
            dependencies: ["ServerCore", "Part1Sequential", "Part2Threaded", "Part4Epoll"]
        ),
        .testTarget(name: "ClientTests", dependencies: ["Client", "ServerCore"]),
        .testTarget(name: "ChapterTests"),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "ServerCore", "CLinux", argumentParser]),
        .testTarget(
            name: "ExerciseTests",
            dependencies: ["Exercises", "ServerCore", "ExerciseCatalog", "CLinux"],  // CLinux: epoll for 04-3
            // Tells the tests which copy they are checking: a stub may still be "not attempted",
            // a reference solution never.
            swiftSettings: exercisesPath == "exercises" ? [] : [.define("EXERCISE_SOLUTIONS")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
