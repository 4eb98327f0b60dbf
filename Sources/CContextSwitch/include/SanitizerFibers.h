// SanitizerFibers.h: how a stack-switching runtime tells the sanitizers which stack it is on.
//
// AddressSanitizer keeps track of "the current stack" (its bounds, and its fake frames when it
// checks use-after-return), and ThreadSanitizer keeps a shadow call stack and a clock per
// thread. Neither can see `cs_switch` change stacks, so StateThreads reports each switch itself,
// but only in a build made with the matching define (`-Xswiftc -DASAN_FIBERS` or
// `-Xswiftc -DTSAN_FIBERS`, which `.ci/sanitizers` passes): an ordinary build never calls these
// functions, so it neither links the sanitizer runtimes nor pays for a call. The declarations
// below are the runtimes' public interface (compiler-rt's common_interface_defs.h,
// asan_interface.h and tsan_interface.h); the headers themselves are not on Swift's search path.
#ifndef SANITIZERFIBERS_H
#define SANITIZERFIBERS_H

#include <stddef.h>

// AddressSanitizer. Before a switch: where to keep the leaving stack's fake frames (NULL when the
// leaving green thread has finished, so they are freed) and the bounds of the stack about to
// run. After it, on the new stack: the fake frames it had kept, and (out) the bounds of the
// stack it came from.
void __sanitizer_start_switch_fiber(void *_Nullable *_Nullable fake_stack_save,
                                    const void *_Nullable bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *_Nullable fake_stack_save,
                                     const void *_Nullable *_Nullable bottom_old,
                                     size_t *_Nullable size_old);
/// `cs_switch(save_sp, load_sp)` after `__sanitizer_start_switch_fiber(fake_stack_save, bottom,
/// size)`, with no instrumented code in between (sanitizer_fibers.c). A finished thread passes
/// NULL for `fake_stack_save`, and is never switched back to.
void cs_switch_asan(void *_Nullable *_Nonnull save_sp, void *_Nonnull load_sp,
                    void *_Nullable *_Nullable fake_stack_save, const void *_Nullable bottom, size_t size);
/// Clears AddressSanitizer's marks on a memory range (a dead stack's leftover frame redzones).
void __asan_unpoison_memory_region(const volatile void *_Nonnull address, size_t size);

// ThreadSanitizer: one fiber per green thread; switch to it right before the stack switch.
/// `cs_switch(save_sp, load_sp)` after `__tsan_switch_to_fiber(fiber, 0)` (sanitizer_fibers.c).
void cs_switch_tsan(void *_Nullable *_Nonnull save_sp, void *_Nonnull load_sp, void *_Nonnull fiber);
void *_Nonnull __tsan_get_current_fiber(void);
void *_Nonnull __tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *_Nonnull fiber);
void __tsan_switch_to_fiber(void *_Nonnull fiber, unsigned flags);

#endif
