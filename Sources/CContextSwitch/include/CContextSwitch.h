// CContextSwitch.h: the two routines Swift cannot write itself, and the Swift runtime hooks a
// stack-switching runtime must call.
//
// A "context" here is nothing but a stack pointer. `cs_switch` pushes the callee-saved registers
// onto the current stack, stores the stack pointer in `*save_sp`, loads `load_sp`, pops that
// context's registers and returns into it. `cs_make_context` lays out a fresh stack so that the
// first `cs_switch` to it "returns" into a start routine that calls `entry(argument)`.
// Both are written in assembly (switch.S) for x86_64 and arm64; Chapter 5 walks through them.
#ifndef CCONTEXTSWITCH_H
#define CCONTEXTSWITCH_H

// Nullability for Swift's importer; other C compilers (the arm64 cross-compiler) ignore it.
#ifndef __clang__
#define _Nonnull
#define _Nullable
#endif

/// Saves the calling context's callee-saved registers on its own stack, stores its stack pointer
/// in `*save_sp`, and resumes the context whose stack pointer is `load_sp`. Returns when some
/// other context switches back to the saved one.
void cs_switch(void *_Nullable *_Nonnull save_sp, void *_Nonnull load_sp);

/// Prepares the stack ending at `stack_top` (its highest address) so that `cs_switch(&x, sp)`
/// with the returned `sp` starts running `entry(argument)` on it. `entry` must never return: it
/// ends by switching away for good (returning would execute a trap instruction).
void *_Nonnull cs_make_context(void *_Nonnull stack_top, void (*_Nonnull entry)(void *_Nullable),
                               void *_Nullable argument);

/// The scheduler running on the calling kernel thread (NULL if none). Swift has no thread-local
/// variables, so the slot is declared here (and defined in switch.S); the "initial-exec" model
/// makes reading it one instruction, where pthread_getspecific is a function call.
extern __thread void *_Nullable cs_scheduler_slot __attribute__((tls_model("initial-exec")));

static inline void *_Nullable cs_current_scheduler(void) { return cs_scheduler_slot; }
static inline void cs_set_current_scheduler(void *_Nullable scheduler) { cs_scheduler_slot = scheduler; }

// The Swift runtime's exclusivity hooks, which the scheduler calls around every switch.
#include "SwiftExclusivity.h"
// The sanitizers' fiber hooks, called around every switch in sanitizer builds only.
#include "SanitizerFibers.h"

#endif
