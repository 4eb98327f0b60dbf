// Exercise 08-1's test: `offload` runs work on a kernel thread while the other green threads of
// its scheduler go on running.
//
// No clock decides it. The work the test offloads cannot finish until another green thread of
// the same scheduler has run: it waits (on its own kernel thread, at most 5 s) for a gate that a
// green thread opens. If `offload` blocks the scheduler's kernel thread while the work runs (runs
// the work itself, joins the worker, reads an eventfd that is not ready yet), that green thread
// never runs, the gate never opens, and the work gives up: the result says so. Whether an eventfd
// is left open is asked of the kernel: the scheduler's epoll lists every descriptor it still
// watches in /proc/self/fdinfo, and closing a descriptor takes it off that list. Each scheduler
// runs on a thread of its own, so a green thread that waits forever fails its check after 15 s
// instead of hanging `swift test`.

import ExerciseCatalog
@testable import Exercises
import Glibc
import ServerCore
@testable import StateThreads  // the scheduler's epoll descriptor, to ask the kernel what it watches
import Testing

@Test(.exercise("08-1"))
func exercise08_1_GreenOffload() {
    check("the other green threads run while the work does", othersRunMeanwhile)
    check("one green thread offloads twenty times in a row", offloadsInARow)
    check("an interrupted offload waits for its work before it closes the eventfd", interruptedOffload)
}

/// How long the offloaded work waits for a green thread to let it finish: long enough for the
/// busiest machine to run a green thread that is runnable, so only a blocked scheduler runs out.
private let patience = 5.0

/// What the work returns when it ran on the scheduler's own kernel thread.
private let ranOnTheScheduler = -1
/// What the work returns when the green thread that was to let it finish never ran.
private let gaveUp = -2

private let ranOnTheSchedulerAdvice = """
    the work ran on the scheduler's own kernel thread, so no other green thread could run until it \
    returned: start a kernel thread for it (JoinableThread)
    """
private let blockedAdvice = """
    the work waited \(Int(patience)) s for another green thread of the same scheduler, which never ran: offload \
    blocked the scheduler's kernel thread while the work ran (a join, or a read of the eventfd before \
    it is readable, waits with the whole scheduler); park the green thread with Scheduler.waitUntilReadable
    """

private func othersRunMeanwhile() throws {
    let jobs = 4
    let gate = Gate()
    let outcome = try onOwnScheduler { () -> (results: [Int?], errors: [String], parked: [Int32], left: [Int32]) in
        let scheduler = pthread_self()
        var results: [Int?] = Array(repeating: nil, count: jobs)
        var errors: [String] = []
        var parked: [Int32] = []
        let offloaders = try (0..<jobs).map { job in
            try Scheduler.spawn {
                do {
                    results[job] = try offload {
                        if pthread_equal(pthread_self(), scheduler) != 0 { return ranOnTheScheduler }
                        return gate.wait(seconds: patience) ? 100 + job : gaveUp
                    }
                } catch {
                    errors.append("offload threw: \(error)")
                }
            }
        }
        // Runs only if the offloading green threads let it: each of them waits for its work.
        let opener = try Scheduler.spawn {
            for _ in 0..<10 { Scheduler.yield() }
            parked = (try? watchedDescriptors()) ?? []
            gate.open()
        }
        opener.join()
        offloaders.forEach { $0.join() }
        return (results, errors, parked, try watchedDescriptors())
    }
    for error in outcome.errors { Issue.record(Comment(rawValue: error)) }
    if outcome.results.contains(ranOnTheScheduler) {
        Issue.record(Comment(rawValue: ranOnTheSchedulerAdvice))
    } else if outcome.results.contains(gaveUp) {
        Issue.record(Comment(rawValue: blockedAdvice))
    } else {
        #expect(outcome.results == (0..<jobs).map { 100 + $0 }, "four green threads offloaded at once: each must get its own work's result")
        #expect(outcome.parked.count == jobs, """
            while their work ran, the \(jobs) offloading green threads should each have been parked on an eventfd \
            in the scheduler's epoll (Scheduler.waitUntilReadable); it watched \(outcome.parked.count) descriptors
            """)
    }
    #expect(outcome.left.isEmpty, """
        after every offload had returned, the scheduler's epoll still watched descriptors \(outcome.left): \
        close the eventfd before offload returns
        """)
}

private func offloadsInARow() throws {
    let rounds = 20
    let opened = EventCounter()  // the work of round r waits until it has counted r + 1
    let finished = EventCounter()  // rounds done, readable from here even if the scheduler hangs
    let outcome = try onOwnScheduler(progress: { "\(finished.current) of \(rounds) offloads had returned" }) {
        () -> (results: [Int], problems: [String], left: [Int32]) in
        let scheduler = pthread_self()
        var started = 0
        var results: [Int] = []
        var problems: [String] = []
        var interrupted = false  // by the opener, which gave up on it: what it throws then is no news
        let offloader = try Scheduler.spawn {
            for round in 0..<rounds {
                started = round + 1
                do {
                    let result = try offload {
                        if pthread_equal(pthread_self(), scheduler) != 0 { return ranOnTheScheduler }
                        return opened.wait(for: round + 1, within: patience) ? round * round + 1 : gaveUp
                    }
                    results.append(result)
                    finished.record()
                    if result < 0 { break }
                } catch {
                    if !interrupted { problems.append("offload \(round + 1) of \(rounds) threw: \(error)") }
                    break
                }
            }
        }
        // Lets each round's work finish once the offloader is waiting for it. Green threads switch
        // only where they wait, so once `started` says round r began, the offloader is parked in it.
        let opener = try Scheduler.spawn {
            let deadline = MonotonicClock.nanosecondsNow() + 10_000_000_000
            for round in 0..<rounds {
                while started <= round && !offloader.isFinished { Scheduler.yield() }
                opened.record()
                while finished.current <= round && !offloader.isFinished {
                    guard MonotonicClock.nanosecondsNow() < deadline else {
                        problems.append("""
                            offload \(round + 1) of \(rounds) never returned: its green thread was never woken, \
                            although its work had finished. Was an earlier eventfd closed without \
                            Scheduler.forgetDescriptor? Then the scheduler believes the next one with the same \
                            number is still registered with its epoll, and never watches it
                            """)
                        interrupted = true
                        offloader.interrupt()
                        return
                    }
                    try? Scheduler.sleep(for: .milliseconds(1))
                }
            }
        }
        opener.join()
        offloader.join()
        return (results, problems, try watchedDescriptors())
    }
    for problem in outcome.problems { Issue.record(Comment(rawValue: problem)) }
    if outcome.results.contains(ranOnTheScheduler) {
        Issue.record(Comment(rawValue: ranOnTheSchedulerAdvice))
    } else if outcome.results.contains(gaveUp) {
        Issue.record(Comment(rawValue: blockedAdvice))
    } else if outcome.problems.isEmpty {
        #expect(outcome.results == (0..<rounds).map { $0 * $0 + 1 }, "each offload returns its own work's result")
    }
    #expect(outcome.left.isEmpty, """
        after \(rounds) offloads, the scheduler's epoll still watched descriptors \(outcome.left): \
        close each eventfd before offload returns
        """)
}

private func interruptedOffload() throws {
    let gate = Gate()
    let workDone = EventCounter()
    let interruptSent = EventCounter()
    let offloadThrew = EventCounter()
    // Opens the gate once the interrupt is sent, as soon as offload has thrown or 0.3 s later,
    // whichever comes first: an offload that throws before its work is done is caught at it.
    try runOnTestThread {
        if interruptSent.wait(for: 1, within: 2 * patience) { _ = offloadThrew.wait(for: 1, within: 0.3) }
        gate.open()
    }
    let outcome = try onOwnScheduler {
        () -> (returned: Int?, thrown: (any Error)?, doneWhenInterrupted: Int, doneWhenThrown: Int, left: [Int32]) in
        let scheduler = pthread_self()
        var returned: Int?
        var thrown: (any Error)?
        var doneWhenThrown = -1
        let offloader = try Scheduler.spawn {
            do {
                returned = try offload {
                    if pthread_equal(pthread_self(), scheduler) != 0 { return ranOnTheScheduler }
                    let opened = gate.wait(seconds: patience)
                    workDone.record()
                    return opened ? 1 : gaveUp
                }
            } catch {
                thrown = error
                doneWhenThrown = workDone.current
                offloadThrew.record()
            }
        }
        Scheduler.yield()  // the offloader runs until it waits for its work
        let doneWhenInterrupted = workDone.current
        offloader.interrupt()
        interruptSent.record()
        offloader.join()
        return (returned, thrown, doneWhenInterrupted, doneWhenThrown, try watchedDescriptors())
    }
    if outcome.returned == ranOnTheScheduler {
        Issue.record(Comment(rawValue: ranOnTheSchedulerAdvice))
        return
    }
    if outcome.doneWhenInterrupted > 0 {
        Issue.record(Comment(rawValue: blockedAdvice))
        return
    }
    #expect(outcome.returned == nil, "the green thread was interrupted while it waited: offload must rethrow, not return \(outcome.returned ?? 0)")
    #expect((outcome.thrown as? GreenThreadError) == .interrupted, "offload should rethrow GreenThreadError.interrupted; it threw \(outcome.thrown.map { "\($0)" } ?? "nothing")")
    #expect(outcome.thrown == nil || outcome.doneWhenThrown == 1, """
        offload threw while its work was still running, so it closed the eventfd the worker was about \
        to write: that number may already belong to someone else's socket. Join the worker before you \
        close the eventfd, then rethrow
        """)
    #expect(outcome.left.isEmpty, "after the interrupted offload, the scheduler's epoll still watched descriptors \(outcome.left)")
}

// MARK: Test machinery

/// Runs `body` as the main green thread of a scheduler on a kernel thread of its own and returns
/// what it returned; fails if it threw, or if the scheduler had not finished within 15 s (then
/// `progress` says how far it got, and the scheduler's thread is left waiting).
private func onOwnScheduler<Outcome: Sendable>(
    progress: @escaping @Sendable () -> String = { "" },
    _ body: @escaping @Sendable () throws -> Outcome
) throws -> Outcome {
    let finished = Handoff<Result<Outcome, TestFailure>>()
    try runOnTestThread {
        var outcome: Outcome?
        do {
            try Scheduler.run { outcome = try body() }
            finished.put(.success(outcome!))
        } catch {
            finished.put(.failure(TestFailure("the scheduler stopped with an error: \(error)")))
        }
    }
    guard let result = finished.take(within: 15) else {
        let soFar = progress()
        throw TestFailure("""
            the scheduler had not finished after 15 s\(soFar.isEmpty ? "" : " (\(soFar))"): a green thread \
            waits for something that never comes, or offload blocks the scheduler's kernel thread for good
            """)
    }
    return try result.get()
}

/// The descriptors the calling scheduler's epoll watches, as the kernel lists them (`tfd:` lines).
private func watchedDescriptors() throws -> [Int32] {
    let epoll = Scheduler.requireCore("watchedDescriptors").pointee.poller.epoll
    guard let text = readTextFile(atPath: "/proc/self/fdinfo/\(epoll)") else {
        throw TestFailure("cannot read /proc/self/fdinfo/\(epoll), the scheduler's epoll")
    }
    return text.split(separator: "\n").filter { $0.hasPrefix("tfd:") }.compactMap { line in
        line.split(separator: " ").dropFirst().first.flatMap { Int32($0) }
    }
}

/// A gate the offloaded work waits at, opened by a green thread. Once one wait has given up,
/// the others give up at once (the green thread that was to open it cannot be expected any more).
// @unchecked Sendable: `state` is only touched inside the monitor.
private final class Gate: @unchecked Sendable {
    private enum State { case shut, open, givenUp }
    private let monitor = Monitor()
    private var state = State.shut

    func open() {
        monitor.update { if state == .shut { state = .open } }
    }

    /// Whether the gate was opened within `seconds`.
    func wait(seconds: Double) -> Bool {
        if let opened = monitor.wait(seconds: seconds, until: { state == .shut ? nil : state == .open }) {
            return opened
        }
        return monitor.update {
            if state == .shut { state = .givenUp }
            return state == .open
        }
    }
}
