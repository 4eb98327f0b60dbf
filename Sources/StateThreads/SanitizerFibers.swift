// SanitizerFibers: telling AddressSanitizer and ThreadSanitizer about every stack switch.
//
// Both sanitizers assume a kernel thread stays on one stack. AddressSanitizer keeps the bounds of
// "the" stack and, for its use-after-return check, a "fake stack" on the heap where instrumented
// functions keep their frames; ThreadSanitizer keeps a shadow call stack, pushed and popped by
// every instrumented function. `cs_switch` changes stacks behind their backs, and both runtimes
// have an interface for exactly this case (the "fiber" hooks, declared in CContextSwitch's
// SanitizerFibers.h), which the scheduler uses at every switch.
//
// Only in a sanitizer build: `.ci/sanitizers` compiles with `-Xswiftc -DASAN_FIBERS` next to
// `-sanitize=address`, and `-DTSAN_FIBERS` next to `-sanitize=thread`. Without those defines
// `switchStacks` does not exist (the scheduler calls `cs_switch` itself), the other functions are
// empty (a release build inlines them away: its objects have no reference to this type), and
// `FiberState` is an empty struct that takes no bytes.
//
// The switch itself goes through C (sanitizer_fibers.c), which tells the sanitizer and switches
// with no instrumented code in between; that file says why it must.
//
// AddressSanitizer: before the switch, `__sanitizer_start_switch_fiber` with the bounds of the
// stack about to run and where to keep the leaving context's fake frames; after it, on the
// arriving stack, `__sanitizer_finish_switch_fiber` with the fake frames that context had kept
// (none for a new thread). A green thread's bounds are its StackRegion's usable part; the idle
// loop's (the kernel thread's own stack) are what the scheduler's first finish reports as the
// stack it came from, since the first switch always leaves the idle loop. A finished thread keeps
// no fake frames (they are freed). Its stack is reused by a later thread, and the frames it never
// returned from are still marked in AddressSanitizer's shadow memory: recycling clears the marks.
//
// ThreadSanitizer: each green thread is a fiber, created the first time it is switched to and
// destroyed when its stack is recycled (by the next context, never by itself); the idle loop is
// the kernel thread's own fiber. Switching with flags 0 tells ThreadSanitizer that the two fibers
// synchronise, which is true: they run one at a time on one kernel thread, and everything before
// a switch happens before everything after it.

#if ASAN_FIBERS || TSAN_FIBERS
import CContextSwitch
#endif

/// What the sanitizers need to know about one context (a green thread, or the idle loop) while
/// another runs. Empty outside sanitizer builds.
struct FiberState {
    #if ASAN_FIBERS
    /// AddressSanitizer's fake frames of this context while it is switched out (use-after-return
    /// checking keeps frames off the stack; nil when that is off).
    var fakeStack: UnsafeMutableRawPointer?
    /// The idle loop's stack bounds, learned at the first switch (green threads use their region).
    var bottom: UnsafeRawPointer?
    var size = 0
    #endif
    #if TSAN_FIBERS
    /// ThreadSanitizer's fiber for this context.
    var tsanFiber: UnsafeMutableRawPointer?
    #endif
}

enum SanitizerFibers {
    #if ASAN_FIBERS || TSAN_FIBERS
    /// `cs_switch(save, load)` from `current` to `next` (nil: the idle loop), the sanitizer told
    /// first; `core.pointee.current` already names `next`. Returns when something switches back,
    /// like `cs_switch`; a finished thread's call never returns.
    @inline(__always)
    static func switchStacks(_ save: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ load: UnsafeMutableRawPointer,
                             from current: ThreadPointer?, to next: ThreadPointer?, _ core: CorePointer) {
        #if ASAN_FIBERS
        let (bottom, size) = next.map { stackBounds(of: $0) } ?? (core.pointee.idleFiber.bottom, core.pointee.idleFiber.size)
        // Where the leaving context's fake frames wait: its FiberState, at a fixed address (the
        // record, or the core). None for a finished thread, whose fake frames are then freed.
        let fakeStackSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        if let current {
            fakeStackSlot = current.pointee.finished ? nil : fakeStackField(of: fiberState(of: current))
        } else {
            fakeStackSlot = fakeStackField(of: idleFiberState(of: core))
        }
        cs_switch_asan(save, load, fakeStackSlot, bottom, size)
        #elseif TSAN_FIBERS
        if current == nil { core.pointee.idleFiber.tsanFiber = __tsan_get_current_fiber() }
        let fiber: UnsafeMutableRawPointer
        if let next {
            if next.pointee.fiber.tsanFiber == nil { next.pointee.fiber.tsanFiber = __tsan_create_fiber(0) }
            fiber = next.pointee.fiber.tsanFiber!
        } else {
            fiber = core.pointee.idleFiber.tsanFiber!
        }
        cs_switch_tsan(save, load, fiber)
        #endif
    }
    #endif

    /// Called first thing on the arriving stack: after `cs_switch` returns, or when a new thread
    /// starts. `current` is the context now running (nil: the idle loop).
    @inline(__always)
    static func didSwitch(to current: ThreadPointer?, _ core: CorePointer) {
        #if ASAN_FIBERS
        let fakeStack = current.map { $0.pointee.fiber.fakeStack } ?? core.pointee.idleFiber.fakeStack
        if core.pointee.idleFiber.size == 0 {
            // The scheduler's first switch, which always leaves the idle loop: learn its bounds.
            var bottom: UnsafeRawPointer?
            var size = 0
            __sanitizer_finish_switch_fiber(fakeStack, &bottom, &size)
            core.pointee.idleFiber.bottom = bottom
            core.pointee.idleFiber.size = size
        } else {
            __sanitizer_finish_switch_fiber(fakeStack, nil, nil)
        }
        #endif
    }

    /// Called when a finished thread's stack is handed back to the pool, from another context.
    @inline(__always)
    static func recycling(_ finished: ThreadPointer) {
        #if ASAN_FIBERS
        let (bottom, size) = stackBounds(of: finished)
        __asan_unpoison_memory_region(bottom, size)  // its last frames never returned
        #endif
        #if TSAN_FIBERS
        if let fiber = finished.pointee.fiber.tsanFiber { __tsan_destroy_fiber(fiber) }
        #endif
        finished.pointee.fiber = FiberState()
    }

    #if ASAN_FIBERS
    private static func fiberState(of thread: ThreadPointer) -> UnsafeMutablePointer<FiberState> {
        (UnsafeMutableRawPointer(thread) + MemoryLayout<ThreadRecord>.offset(of: \.fiber)!).assumingMemoryBound(to: FiberState.self)
    }

    private static func idleFiberState(of core: CorePointer) -> UnsafeMutablePointer<FiberState> {
        (UnsafeMutableRawPointer(core) + MemoryLayout<SchedulerCore>.offset(of: \.idleFiber)!).assumingMemoryBound(to: FiberState.self)
    }

    private static func fakeStackField(of state: UnsafeMutablePointer<FiberState>) -> UnsafeMutablePointer<UnsafeMutableRawPointer?> {
        (UnsafeMutableRawPointer(state) + MemoryLayout<FiberState>.offset(of: \.fakeStack)!)
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    }

    /// The part of a green thread's mapping its frames may use: above the guard zone, below the
    /// record.
    private static func stackBounds(of thread: ThreadPointer) -> (UnsafeRawPointer, Int) {
        let region = thread.pointee.stack
        return (UnsafeRawPointer(region.usableBottom), UnsafeRawPointer(thread) - UnsafeRawPointer(region.usableBottom))
    }
    #endif
}
