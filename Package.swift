// swift-tools-version:6.0
// Concurrent Servers in Swift: one protocol, five ways of serving many clients at once.
// The module map, bottom up: ServerCore at the bottom, one executable per Part on top.
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
        // Only SwiftNIOServer uses it: `swift build --product Part2Threaded` never compiles NIO.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The protocol (pure), a thin socket layer over Glibc, shared server options and logging,
        // and the contracts every server keeps (signals, shutdown lines, why a session ended).
        .target(name: "ServerCore", dependencies: ["CLinux", argumentParser]),  // CLinux: signalfd
        // Linux headers the Glibc module leaves out (epoll, signalfd, accept4): a module map, no code.
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),

        // The context switch under Part 5's green threads: a few dozen lines of assembly.
        .target(name: "CContextSwitch"),
        // Green threads: a scheduler, stacks, timers, a mutex, a condition and sockets (Chapter 5).
        .target(name: "StateThreads", dependencies: ["CContextSwitch", "CLinux", "ServerCore"]),
        // Experiments that end a process (a stack overflow, a deadlock), run by the runtime tests.
        .executableTarget(name: "StateThreadsProbe", dependencies: ["StateThreads", "ServerCore", "CContextSwitch"]),

        // The servers, one per chapter.
        .executableTarget(name: "Part1Sequential", dependencies: ["ServerCore", argumentParser]),
        .executableTarget(name: "Part2Threaded", dependencies: ["ServerCore", argumentParser]),
        .executableTarget(name: "Part3Pool", dependencies: ["ServerCore", argumentParser]),
        .executableTarget(name: "Part4Epoll", dependencies: ["ServerCore", "CLinux", argumentParser]),
        .executableTarget(name: "Part5StateThreads", dependencies: ["ServerCore", "StateThreads", "CLinux", argumentParser]),

        // What the tests, Bench and the client share: starting a server and reading its port,
        // /proc probes, descriptor limits, a timed connect, the seed conversation, SplitMix64.
        .target(name: "Harness", dependencies: ["ServerCore"]),
        // Beyond the five (Chapter 7): async/await on an executor of our own (one thread, epoll).
        .executableTarget(name: "AsyncAwaitServer", dependencies: ["ServerCore", "CLinux", argumentParser]),
        // The same protocol on SwiftNIO, as a NIO user writes it: the baseline readers use daily.
        .executableTarget(
            name: "SwiftNIOServer",
            dependencies: [
                "ServerCore", argumentParser,
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),

        // Tools: the client simulator and the exercise progress report.
        .executableTarget(name: "Client", dependencies: ["ServerCore", "Harness", argumentParser]),
        .executableTarget(name: "Progress", dependencies: ["ExerciseCatalog", argumentParser]),
        // The instrument: a verifying load generator, the side-by-side runner and micro-benchmarks,
        // as a library its tests import, under a command line that only calls it.
        .target(
            name: "BenchKit",
            dependencies: [
                "ServerCore", "Harness", "CLinux", "StateThreads", argumentParser,  // StateThreads: the green rows of the micro-benchmarks
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(name: "Bench", dependencies: ["BenchKit"]),

        // The list of exercises (id, title, file, hint) that the exercise tests and Progress share.
        .target(name: "ExerciseCatalog"),

        // The learner's exercises (or, with EXERCISES=solutions, the reference solutions).
        .target(
            name: "Exercises",
            // Chapter 4's exercises use epoll (CLinux), Chapter 8's eventfd; from Chapter 5 on, the green-thread runtime.
            dependencies: ["ServerCore", "CLinux", "StateThreads"],
            path: exercisesPath,
            exclude: exercisesPath == "exercises" ? ["solutions", "README.md"] : []
        ),

        .testTarget(name: "ServerCoreTests", dependencies: ["ServerCore", "Harness"]),
        .testTarget(
            name: "ConformanceTests",
            // Depending on the executables makes `swift test` build them before the suite runs.
            dependencies: ["ServerCore", "Harness", "Part1Sequential", "Part2Threaded", "Part3Pool", "Part4Epoll", "Part5StateThreads",
                           "AsyncAwaitServer", "SwiftNIOServer"]
        ),
        .testTarget(name: "ClientTests", dependencies: ["Client", "ServerCore"]),
        // Part 3's queue and pool, white-box: `@testable import Part3Pool`.
        .testTarget(name: "PoolTests", dependencies: ["Part3Pool", "ServerCore"]),
        .testTarget(name: "ChapterTests"),
        // Bench: the tests start the executable for measurements that need a fresh process.
        .testTarget(name: "BenchTests", dependencies: ["BenchKit", "Bench", "Harness", "ServerCore", "CLinux", argumentParser]),
        // Depends on the probe so that `swift test` builds it before the tests start it.
        .testTarget(name: "StateThreadsTests", dependencies: ["StateThreads", "ServerCore", "Harness", "StateThreadsProbe"]),
        .testTarget(
            name: "ExerciseTests",
            dependencies: ["Exercises", "ServerCore", "Harness", "ExerciseCatalog", "StateThreads", "CLinux"],  // CLinux: epoll for 04-3
            // Tells the tests which copy they are checking: a stub may still be "not attempted",
            // a reference solution never.
            swiftSettings: exercisesPath == "exercises" ? [] : [.define("EXERCISE_SOLUTIONS")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
