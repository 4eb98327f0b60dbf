// ProbeTests: what must end a process (a stack overflow, a deadlock, a broken exclusivity
// hand-over) is run in a child process, StateThreadsProbe, and judged by its exit and its words.

import Glibc
import ServerCore
import StateThreads
import Testing

/// How a child process ended, and everything it wrote to stdout and stderr.
struct ProbeRun {
    var exitCode: Int32?  // nil if a signal ended it
    var signal: Int32?
    var output: String
}

/// Runs StateThreadsProbe (built next to the test binary) with `arguments` and extra
/// environment variables, waiting up to `timeout` seconds.
func runProbe(_ arguments: [String], environment extra: [String] = [], timeout: Double = 60) throws -> ProbeRun {
    var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &path, path.count - 1)
    let executable = String(decoding: path[..<max(length, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let directory = String(executable[..<(executable.lastIndex(of: "/") ?? executable.startIndex)])
    let probe = directory + "/StateThreadsProbe"

    // Output goes to an unlinked temporary file (close-on-exec in this process, so a server
    // started by a parallel test never inherits it).
    let outputPath = "/tmp/StateThreadsProbe-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    let output = open(outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard output >= 0 else { throw SystemCallError("open(2)", code: errno) }
    unlink(outputPath)
    defer { close(output) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, output, 1)
    posix_spawn_file_actions_adddup2(&actions, output, 2)
    let argv = ([probe] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var environment: [String] = extra + ["SWIFT_BACKTRACE=enable=no"]  // a plain crash, quickly
    var cursor = environ
    while let entry = cursor.pointee {
        environment.append(String(cString: entry))
        cursor += 1
    }
    let envp = environment.map { strdup($0) } + [nil]
    defer { envp.forEach { free($0) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, probe, &actions, nil, argv, envp)
    guard result == 0 else { throw SystemCallError("posix_spawn(3) of \(probe)", code: result) }

    var status: Int32 = 0
    let deadline = MonotonicClock.now() + timeout
    while waitpid(pid, &status, WNOHANG) == 0 {
        if MonotonicClock.now() > deadline {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            break
        }
        usleep(10_000)
    }
    var text: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    var offset: off_t = 0
    while true {
        let count = chunk.withUnsafeMutableBytes { pread(output, $0.baseAddress, $0.count, offset) }
        if count <= 0 { break }
        text += chunk[..<count]
        offset += off_t(count)
    }
    let signal = status & 0x7f
    return ProbeRun(exitCode: signal == 0 ? (status >> 8) & 0xff : nil,
                    signal: signal == 0 ? nil : signal,
                    output: String(decoding: text, as: UTF8.self))
}

@Suite("StateThreads: failures that end the process")
struct ProbeTests {
    @Test("a stack overflow into the guard page is reported as one, naming the thread and the setting")
    func guardPageOverflow() throws {
        let run = try runProbe(["overflow"])
        #expect(run.signal == SIGSEGV, "exit: \(String(describing: run.exitCode)), output:\n\(run.output)")
        #expect(run.output.contains("stack overflow in green thread #2"), "output:\n\(run.output)")
        #expect(run.output.contains("touched the guard page"))
        #expect(run.output.contains("stackSize"))
        #expect(!run.output.contains("not reached"))
    }

    @Test("a stack overflow on a stack without a guard page is caught by the canary at the next switch")
    func canaryOverflow() throws {
        // The probe overflows by a depth it computes from two measurements, assuming each level
        // of recursion takes the same stack. Under AddressSanitizer (`.ci/sanitizers`) that holds
        // only without its use-after-return check, which keeps frames on the heap until its pools
        // fill; the later options in ASAN_OPTIONS win, and any other build ignores the variable.
        let asanOptions = getenv("ASAN_OPTIONS").map { String(cString: $0) + ":" } ?? ""
        let run = try runProbe(["overflow-canary"], environment: ["ASAN_OPTIONS=\(asanOptions)detect_stack_use_after_return=0"])
        #expect(run.signal == SIGABRT, "exit: \(String(describing: run.exitCode)), output:\n\(run.output)")
        #expect(run.output.contains("stack overflow in green thread #2"), "output:\n\(run.output)")
        #expect(run.output.contains("canary zone"))
        #expect(!run.output.contains("not reached"))
    }

    @Test("two green threads switching inside modify accesses of one property: no false conflict")
    func exclusivityPerGreenThread() throws {
        let run = try runProbe(["exclusivity"])
        #expect(run.exitCode == 0, "output:\n\(run.output)")
        #expect(run.output.contains("both modify accesses completed: balance 4"), "output:\n\(run.output)")
    }

    @Test("without the per-thread exclusivity hand-over, the same program is stopped by Swift's runtime")
    func exclusivityWithoutHandOver() throws {
        // The control experiment: proves the test above can fail, and why the hand-over exists.
        let run = try runProbe(["exclusivity"], environment: ["STATETHREADS_KEEP_EXCLUSIVITY_RECORDS=1"])
        #expect(run.exitCode != 0, "output:\n\(run.output)")
        #expect(run.output.contains("Simultaneous accesses"), "output:\n\(run.output)")
    }

    @Test("two green threads in modify accesses in this process too (the hand-over, in-process)")
    func exclusivityInProcess() throws {
        final class Account { var balance = 0 }
        let account = Account()
        func depositTwice(_ balance: inout Int) {
            balance += 1
            Scheduler.yield()  // the other thread runs and begins its own modify of the same property
            balance += 1
        }
        try Scheduler.run {
            let first = try Scheduler.spawn { depositTwice(&account.balance) }
            let second = try Scheduler.spawn { depositTwice(&account.balance) }
            first.join()
            second.join()
        }
        #expect(account.balance == 4)
    }

    @Test("a deadlock is reported, not a hang")
    func deadlock() throws {
        let run = try runProbe(["deadlock"])
        #expect(run.signal == SIGABRT, "output:\n\(run.output)")
        #expect(run.output.contains("deadlock: 1 green threads are blocked"), "output:\n\(run.output)")
    }

    @Test("the deepest paths this repository runs fit the default stack with room to spare")
    func defaultStackIsDeepEnough() throws {
        let run = try runProbe(["stack-depth"])
        #expect(run.exitCode == 0, "output:\n\(run.output)")
        let deepest = run.output.split(separator: "\n").first { $0.hasPrefix("deepest: ") }
            .flatMap { Int($0.dropFirst("deepest: ".count).prefix { $0.isNumber }) }
        let measured = try #require(deepest, "output:\n\(run.output)")
        // Measured in this (debug) build, whose frames are larger than release ones: at least a
        // third of the stack must stay free.
        #expect(measured * 3 <= Scheduler.defaultStackSize * 2, "deepest path \(measured) bytes; output:\n\(run.output)")
    }
}
