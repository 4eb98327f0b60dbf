// StateThreadsProbe: experiments with the StateThreads runtime that end a process, or that
// need one of their own — run by the runtime tests in a child process, and by Chapter 5's readers.
//
//     StateThreadsProbe two-stacks         switch to a new stack and back: the runtime's first step
//     StateThreadsProbe overflow           recurse until the stack overflows (guard page)
//     StateThreadsProbe overflow-canary    the same on a stack without a guard page
//     StateThreadsProbe exclusivity        two green threads switch inside `modify` accesses
//     StateThreadsProbe deadlock           every green thread waits for another
//     StateThreadsProbe stack-depth        measure the stack the deepest paths of this repo use
//
// Run `exclusivity` with STATETHREADS_KEEP_EXCLUSIVITY_RECORDS=1 to see what happens when the
// scheduler does not give each green thread its own record of in-progress accesses.

import Glibc
import ServerCore
import StateThreads

/// Recurses `depth` levels, each with a kilobyte of locals it writes to, and returns a value that
/// depends on every level so the compiler cannot flatten the recursion.
@inline(never)
func recurse(_ depth: Int) -> Int {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { frame in
        frame.initialize(repeating: UInt8(truncatingIfNeeded: depth))
        let below = depth > 0 ? recurse(depth - 1) : 0
        return below &+ Int(frame[depth % 1024])
    }
}

/// Holds a property two green threads modify at once.
final class Account {
    var balance = 0
}

/// Adds 1, lets every other green thread run, adds 1 again, all inside one `modify` access.
func depositTwice(_ balance: inout Int) {
    balance += 1
    Scheduler.yield()
    balance += 1
}

/// How many levels of `recurse` use about `bytes` of stack, measured in this build.
func levels(toUse bytes: Int) -> Int {
    // Two measurements on fresh stacks: the difference is the cost of 16 levels.
    var perLevel = 0
    var base = 0
    let measure = { (depth: Int) -> Int in
        var used = 0
        try? Scheduler.run { used = (try? Scheduler.measureStackUse { _ = recurse(depth) }) ?? 0 }
        return used
    }
    base = measure(0)
    perLevel = (measure(16) - base) / 16
    return (bytes - base) / max(perLevel, 1)
}

/// An error with no `description`: printing it goes through Swift's reflection.
enum PlainError: Error {
    case failed(code: Int)
}

/// A struct with no `description`, for the same reason.
struct PlainValue {
    var name = "x"
    var count = 3
}

func measureStackDepth() throws {
    // The first use of reflection in a process is the deepest (it fills the runtime's caches),
    // so it goes first.
    let cases: [(String, () -> Void)] = [
        ("first \"\\(error)\" of an error without description (reflection)",
         { _ = "\(PlainError.failed(code: 3) as any Error)" }),
        ("String(describing:) of a struct (reflection)", { _ = String(describing: PlainValue()) }),
        ("empty closure", {}),
        ("print(\"text\")", { print("stack depth probe: print") }),
        ("string interpolation of Ints and a Double", { _ = "a \(42) b \(3.25) c \(Int.max)" }),
        ("\"\\(error)\" of a SystemCallError", { _ = "\(SystemCallError("read(2)", code: ECONNRESET))" }),
        ("Log.line with a peer address", { Log.line("\(SocketAddress()) disconnected (12 bytes in, 9 bytes out)") }),
        ("ProtocolMachine.feed into a reply array", {
            var machine = ProtocolMachine()
            var reply: [UInt8] = []
            machine.feed(Array("^abc$de^abte$f".utf8), into: &reply)
            _ = reply
        }),
    ]
    var deepest = 0
    for (name, body) in cases {
        let used = try Scheduler.measureStackUse(body)
        deepest = max(deepest, used)
        Log.plain("stack used: \(used) bytes  \(name)")
    }
    Log.plain("deepest: \(deepest) bytes of a \(Scheduler.defaultStackSize) byte default stack")
}

let command = CommandLine.arguments.dropFirst().first ?? ""
do {
    switch command {
    case "overflow", "overflow-canary":
        let canary = command == "overflow-canary"
        let depth = canary ? levels(toUse: Scheduler.defaultStackSize + 8 * 1024) : 1_000_000
        try Scheduler.run(guardedStackLimit: canary ? 0 : nil) {
            try Scheduler.spawn {
                if canary {
                    // No guard page: the canary is checked when the thread switches out, so
                    // overflow by a little (8 KiB past the end of the stack), come back, yield.
                    _ = recurse(depth)
                    Scheduler.yield()
                } else {
                    _ = recurse(depth)
                }
                Log.plain("not reached: the stack did not overflow")
            }.join()
        }
    case "exclusivity":
        let account = Account()
        try Scheduler.run {
            let first = try Scheduler.spawn { depositTwice(&account.balance) }
            let second = try Scheduler.spawn { depositTwice(&account.balance) }
            first.join()
            second.join()
        }
        Log.plain("both modify accesses completed: balance \(account.balance)")
    case "deadlock":
        try Scheduler.run {
            let mutex = GreenMutex()
            let condition = GreenCondition()
            mutex.lock()
            try condition.wait(mutex)  // nobody will ever signal
        }
    case "stack-depth":
        try Scheduler.run { try measureStackDepth() }
    case "two-stacks":
        switchToANewStackAndBack()
    default:
        Log.plain("usage: StateThreadsProbe two-stacks | overflow | overflow-canary | exclusivity | deadlock | stack-depth")
        exit(2)
    }
} catch {
    Log.plain("StateThreadsProbe: \(error)")
    exit(1)
}
