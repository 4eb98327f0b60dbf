// SmallestSwitch: the two assembly routines of CContextSwitch with nothing around them — one new
// stack, one switch to it, one switch back. Chapter 5 starts the runtime here
// (`swift run StateThreadsProbe two-stacks`).

import CContextSwitch

// snippet: smallest-switch
/// Runs on the new stack: cs_start calls it with the argument given to cs_make_context, here the
/// two slots where the contexts park their stack pointers ([0]: main's, [1]: this one's).
func onTheNewStack(_ argument: UnsafeMutableRawPointer?) {
    let parked = argument!.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    var local = 0
    withUnsafeMutablePointer(to: &local) { print("2. on the new stack: a local variable at \($0)") }
    cs_switch(parked + 1, parked[0]!)  // park here, resume main where it called cs_switch
    fatalError("nobody switches back to this context")
}

func switchToANewStackAndBack() {
    let size = 64 * 1024
    let stack = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    // Plain allocated memory, never `&someObject.property`: an inout access would stay open
    // across the switch.
    let parked = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 2)
    parked.initialize(repeating: nil, count: 2)
    var local = 0
    withUnsafeMutablePointer(to: &local) { print("1. on the kernel thread's stack: a local variable at \($0)") }
    print("   the new stack runs from \(stack) to \(stack + size)")
    // A frame on the new stack whose "return address" leads to onTheNewStack(parked)...
    let start = cs_make_context(stack + size, onTheNewStack, parked)
    // ...which this switch "returns" into, parking the kernel thread's context in parked[0].
    cs_switch(parked, start)
    print("3. back on the kernel thread's stack")
    parked.deallocate()
    stack.deallocate()  // the other context is parked for good; nothing points into it any more
}
// end snippet
