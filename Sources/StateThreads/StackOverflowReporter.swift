// StackOverflowReporter: a green thread that runs out of stack is reported as exactly that.
//
// Two detectors, one per kind of stack (see StackPool):
// - guard page: the overflowing thread touches a PROT_NONE page and the kernel sends SIGSEGV.
//   Our handler checks whether the faulting address lies in the running green thread's guard
//   zone; if so it prints which thread overflowed and what to change, restores the default
//   action and returns, so the fault repeats and the process dies of SIGSEGV as it would have,
//   only now with an explanation. Any other fault is passed on to whoever handled it before us.
//   The handler runs on an alternate signal stack (`sigaltstack`): the thread's own stack is,
//   by definition, full.
// - canary: the scheduler checks an unguarded stack's zone every time the thread switches out
//   and, if it was written, stops the process with the same explanation.
//
// A signal handler may interrupt anything, including malloc, so the handler only reads memory
// and calls write(2): no Swift strings, no allocation.

import Glibc
import ServerCore

enum StackOverflowReporter {
    // Written once, while `handlersInstalled` is initialised, by a sigaction(2) call that only
    // reads the old action before ours is installed; afterwards only read, by the handler.
    nonisolated(unsafe) private static var previousSegmentationAction = sigaction()
    nonisolated(unsafe) private static var previousBusAction = sigaction()

    /// Installs the SIGSEGV and SIGBUS handlers once per process (a Swift global is initialised
    /// exactly once, even with several schedulers starting at the same time).
    private static let handlersInstalled: Bool = {
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = handleFault
        action.sa_flags = SA_SIGINFO | SA_ONSTACK
        sigemptyset(&action.sa_mask)
        // Save the old actions first: once ours is installed, a fault on any thread may run the
        // handler, which reads them.
        sigaction(SIGSEGV, nil, &previousSegmentationAction)
        sigaction(SIGBUS, nil, &previousBusAction)
        sigaction(SIGSEGV, &action, nil)
        sigaction(SIGBUS, &action, nil)
        return true
    }()

    struct AlternateStack {
        let memory: UnsafeMutableRawPointer
        let size: Int
        let previous: stack_t
    }

    /// Gives the calling kernel thread an alternate signal stack, and installs the handlers.
    static func prepareThisThread() throws -> AlternateStack {
        _ = handlersInstalled
        let size = 64 * 1024
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              memory != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw SystemCallError("mmap(2)", code: errno)
        }
        var stack = stack_t(ss_sp: memory, ss_flags: 0, ss_size: size)
        var previous = stack_t()
        guard sigaltstack(&stack, &previous) == 0 else {
            let code = errno
            munmap(memory, size)
            throw SystemCallError("sigaltstack(2)", code: code)
        }
        return AlternateStack(memory: memory, size: size, previous: previous)
    }

    /// Puts back the kernel thread's previous alternate signal stack.
    static func restore(_ alternate: AlternateStack) {
        var previous = alternate.previous
        sigaltstack(&previous, nil)
        munmap(alternate.memory, alternate.size)
    }

    // snippet: fault-handler
    /// The SIGSEGV/SIGBUS handler. The fault is a stack overflow of the running green thread if
    /// it hit the thread's guard zone, or if the thread's stack pointer was below its stack (a
    /// stack without a guard page, overflowed until it reached memory that is not mapped).
    fileprivate static func handle(_ signal: Int32, at address: UnsafeRawPointer?, stackPointer: UnsafeRawPointer?) {
        if let core = Scheduler.currentCore, let thread = core.pointee.current,
           thread.pointee.stack.guardZoneContains(address) || thread.pointee.stack.isBelow(stackPointer) {
            writeOverflowMessage(thread)
            Glibc.signal(signal, SIG_DFL)  // returning re-runs the faulting instruction: now fatal
            return
        }
        // Not ours: hand the signal back to whoever had it (the default action, or Swift's
        // crash reporter) and let the fault happen again.
        var previous = signal == SIGSEGV ? previousSegmentationAction : previousBusAction
        sigaction(signal, &previous, nil)
    }
    // end snippet

    /// "StateThreads: stack overflow in green thread #7: it used up its 64 KiB stack and ...",
    /// written with nothing but write(2).
    private static func writeOverflowMessage(_ thread: ThreadPointer) {
        writeRaw("StateThreads: stack overflow in green thread #")
        writeNumber(thread.pointee.id)
        writeRaw(": it used up its ")
        writeNumber((thread.pointee.stack.size - StackRegion.guardSize) / 1024)
        writeRaw(" KiB stack and touched the guard page below it. Give green threads more stack: Scheduler.run(stackSize:), or --stack-size for Part5StateThreads.\n")
    }

    /// Stops the process after a thread without a guard page overwrote its canary zone.
    static func canaryDestroyed(in thread: ThreadPointer, stacks: StackPool) -> Never {
        let kib = (thread.pointee.stack.size - StackRegion.guardSize) / 1024
        Diagnostics.fatal("stack overflow in green thread #\(thread.pointee.id): it used up its \(kib) KiB stack "
            + "and wrote into the canary zone below it. This stack has no guard page (only \(stacks.guardLimit) "
            + "stacks get one: each costs two of the \(Diagnostics.maxMapCount()) kernel mappings vm.max_map_count "
            + "allows), so memory next to it may already be corrupted; stopping. Give green threads more stack: "
            + "Scheduler.run(stackSize:), or --stack-size for Part5StateThreads.")
    }

    private static func writeRaw(_ text: StaticString) {
        _ = Glibc.write(STDERR_FILENO, text.utf8Start, text.utf8CodeUnitCount)
    }

    private static func writeNumber(_ value: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes on this (alternate) stack
        withUnsafeMutableBytes(of: &digits) { buffer in
            var remaining = value.magnitude
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0 && index > 0
            _ = Glibc.write(STDERR_FILENO, buffer.baseAddress! + index, buffer.count - index)
        }
    }
}

/// The C-callable entry point the kernel calls on SIGSEGV and SIGBUS, with the faulting address
/// and the interrupted registers.
private func handleFault(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    let address = info.flatMap { UnsafeRawPointer($0.pointee._sifields._sigfault.si_addr) }
    var stackPointer: UnsafeRawPointer?
    if let registers = context?.assumingMemoryBound(to: ucontext_t.self).pointee.uc_mcontext {
        #if arch(x86_64)
        stackPointer = UnsafeRawPointer(bitPattern: Int(registers.gregs.15))  // REG_RSP
        #elseif arch(arm64)
        stackPointer = UnsafeRawPointer(bitPattern: UInt(registers.sp))
        #endif
    }
    StackOverflowReporter.handle(signal, at: address, stackPointer: stackPointer)
}
