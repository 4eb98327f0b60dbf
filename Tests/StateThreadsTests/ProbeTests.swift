// ProbeTests: what must end a process (a stack overflow, a deadlock, a broken exclusivity
// hand-over) is run in a child process, StateThreadsProbe, and judged by its exit and its words.

import Glibc
import Harness
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
/// environment variables, waiting up to `timeout` seconds (then killing it).
func runProbe(_ arguments: [String], environment extra: [String] = [], timeout: Double = 60) throws -> ProbeRun {
    let probe = try ChildProcess(
        path: ChildProcess.buildDirectory + "/StateThreadsProbe", arguments: arguments,
        environment: extra + ["SWIFT_BACKTRACE=enable=no"])  // a plain crash, quickly
    let ended = probe.waitForExit(timeout: timeout) ?? probe.kill()
    return ProbeRun(exitCode: ended.exitCode, signal: ended.signal, output: probe.output)
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
