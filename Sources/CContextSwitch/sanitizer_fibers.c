// sanitizer_fibers.c: the context switch of a sanitizer build, with the sanitizer told first.
//
// Both sanitizers want to hear of a switch *immediately* before it, with nothing of the
// instrumented program running in between:
// - ThreadSanitizer keeps a shadow call stack per fiber. Once it has switched fibers, the exit
//   of an instrumented Swift function would pop the *new* fiber's shadow stack: below its
//   bottom, for a thread that has not run yet.
// - AddressSanitizer frees a finished thread's fake frames (where use-after-return checking
//   keeps Swift's stack variables) inside __sanitizer_start_switch_fiber. The Swift function
//   that called it has its frame there, and even returning from it writes to that frame.
// This C is not instrumented and keeps nothing in memory, so it is safe in between. The Swift
// side (StateThreads' SanitizerFibers.swift) calls these functions only when built with
// -DASAN_FIBERS or -DTSAN_FIBERS; an ordinary build links them without ever calling them, and
// the weak references let it link without the sanitizer runtimes.
#include "CContextSwitch.h"

#pragma weak __sanitizer_start_switch_fiber
#pragma weak __tsan_switch_to_fiber

void cs_switch_asan(void **save_sp, void *load_sp, void **fake_stack_save, const void *bottom, size_t size) {
    __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
    cs_switch(save_sp, load_sp);
}

void cs_switch_tsan(void **save_sp, void *load_sp, void *fiber) {
    __tsan_switch_to_fiber(fiber, 0);
    cs_switch(save_sp, load_sp);
}
