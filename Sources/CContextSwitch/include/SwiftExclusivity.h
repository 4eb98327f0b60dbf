// SwiftExclusivity.h: the Swift runtime's hooks for giving each task its own record of
// in-progress accesses, declared so that a green-thread scheduler can call them too.
//
// Swift checks "exclusive access" dynamically for class properties, globals and captured
// variables: every `modify` (an inout argument, a mutating method) is recorded in a per-kernel-
// thread list until it ends, and a conflicting access on the same kernel thread stops the program
// with "Simultaneous accesses". A green thread that switches away in the middle of such an access
// would leave its record in the list for the next green thread to trip over. Swift's own tasks
// have the same problem and solve it with these two functions, exported by libswiftCore: `exit`
// moves the running task's records out of the thread's list into a two-word buffer, `enter`
// puts them back. StateThreads calls them around every switch, one buffer per green thread.
#ifndef SWIFTEXCLUSIVITY_H
#define SWIFTEXCLUSIVITY_H

/// Pushes the access records saved in `state` (two zero-initialised pointers for a new thread)
/// onto the calling kernel thread's list. Call when a green thread resumes.
extern void swift_task_enterThreadLocalContext(char *_Nonnull state);

/// Moves the records the running green thread added since `enter` from the kernel thread's list
/// into `state`. Call before a green thread switches away.
extern void swift_task_exitThreadLocalContext(char *_Nonnull state);

#endif
