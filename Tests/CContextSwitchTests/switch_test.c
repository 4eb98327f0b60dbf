// switch_test.c: proves the context switch of Sources/CContextSwitch/switch.S on the machine it
// runs on, with no Swift involved, so the same file checks x86_64 natively and arm64 under
// qemu-user (`.ci/context-switch` builds and runs both).
//
// What a broken switch would get wrong, and the check that catches it:
//   - the argument or entry point of a new context      -> "starts with its argument"
//   - the order in which contexts resume                 -> "round robin" (an exact trace)
//   - a callee-saved register clobbered by a switch      -> "callee-saved registers survive"
//   - a misaligned new stack (crashes printf("%f") on
//     x86_64, faults on arm64)                           -> "16-byte aligned stack"
//   - a stack too small or not really switched to        -> "deep recursion on a green stack"
// Each check prints one line; the last line says how many passed. Exit status 0 only if all did.

#include "CContextSwitch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__)
#define ARCH "x86_64"
#elif defined(__aarch64__)
#define ARCH "arm64"
#else
#error "unsupported architecture"
#endif

enum { STACK_SIZE = 256 * 1024, CONTEXTS = 3, ROUNDS = 1000 };

static void *main_sp;                 // the main context while a green one runs
static void *sps[CONTEXTS];           // each green context's saved stack pointer
static int trace[CONTEXTS * ROUNDS];  // who ran, in order
static int trace_length;
static int failures, checks;

static void check(int ok, const char *what) {
    checks++;
    if (!ok) failures++;
    printf("%s: %s\n", ok ? "ok" : "FAILED", what);
}

static void *new_stack_top(void) {
    char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return stack + STACK_SIZE;
}

// --- round robin: three contexts take turns with main, ROUNDS times each ----------------------

static intptr_t started_with[CONTEXTS];

static void round_robin_entry(void *argument) {
    int me = (int)(intptr_t)argument;
    started_with[me] = (intptr_t)argument + 100;
    for (int round = 0; round < ROUNDS; round++) {
        trace[trace_length++] = me;
        cs_switch(&sps[me], main_sp);  // back to main, which picks the next context
    }
    for (;;) cs_switch(&sps[me], main_sp);  // finished: never return from an entry
}

static void test_round_robin(void) {
    for (int i = 0; i < CONTEXTS; i++) sps[i] = cs_make_context(new_stack_top(), round_robin_entry, (void *)(intptr_t)i);
    for (int round = 0; round < ROUNDS; round++)
        for (int i = 0; i < CONTEXTS; i++) cs_switch(&main_sp, sps[i]);
    int started_ok = 1;
    for (int i = 0; i < CONTEXTS; i++) started_ok &= started_with[i] == i + 100;
    check(started_ok, "each new context starts in its entry function with its own argument");
    int order_ok = trace_length == CONTEXTS * ROUNDS;
    for (int k = 0; order_ok && k < trace_length; k++) order_ok = trace[k] == k % CONTEXTS;
    check(order_ok, "3 contexts x 1000 rounds resume in exact round-robin order (3000 switches each way)");
}

// --- callee-saved registers: values held in them across a switch must come back intact --------

static void *clobber_sp;

// Runs between the two halves of the check and loads garbage into every callee-saved register.
static void clobber_entry(void *argument) {
    (void)argument;
    for (;;) {
#if defined(__x86_64__)
        __asm__ volatile(
            "movq $-1, %%rbx\n\tmovq $-1, %%r12\n\tmovq $-1, %%r13\n\tmovq $-1, %%r14\n\tmovq $-1, %%r15"
            ::: "rbx", "r12", "r13", "r14", "r15");
#else
        __asm__ volatile(
            "mov x19, #-1\n\tmov x20, #-1\n\tmov x21, #-1\n\tmov x22, #-1\n\tmov x23, #-1\n\t"
            "mov x24, #-1\n\tmov x25, #-1\n\tmov x26, #-1\n\tmov x27, #-1\n\tmov x28, #-1\n\t"
            "fmov d8, #-1.0\n\tfmov d9, #-1.0\n\tfmov d10, #-1.0\n\tfmov d11, #-1.0\n\t"
            "fmov d12, #-1.0\n\tfmov d13, #-1.0\n\tfmov d14, #-1.0\n\tfmov d15, #-1.0"
            ::: "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
                "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15");
#endif
        cs_switch(&clobber_sp, main_sp);
    }
}

// Puts known values in the callee-saved registers (as asm operands, so the compiler must keep
// them exactly there), switches to the clobbering context and back, and reads them again. The
// compiler trusts a call to preserve these registers, so only cs_switch can have kept them.
__attribute__((noinline)) static int registers_survive_switch(void) {
#if defined(__x86_64__)
    register uint64_t a __asm__("rbx") = 0x1111111111111111u;
    register uint64_t b __asm__("r12") = 0x2222222222222222u;
    register uint64_t c __asm__("r13") = 0x3333333333333333u;
    register uint64_t d __asm__("r14") = 0x4444444444444444u;
    register uint64_t e __asm__("r15") = 0x5555555555555555u;
    __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e));
    cs_switch(&main_sp, clobber_sp);
    __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e));
    return a == 0x1111111111111111u && b == 0x2222222222222222u && c == 0x3333333333333333u
        && d == 0x4444444444444444u && e == 0x5555555555555555u;
#else
    register uint64_t a __asm__("x19") = 0x1111111111111111u;
    register uint64_t b __asm__("x22") = 0x2222222222222222u;
    register uint64_t c __asm__("x25") = 0x3333333333333333u;
    register uint64_t d __asm__("x28") = 0x4444444444444444u;
    register double f __asm__("d8") = 8.5;
    register double g __asm__("d15") = 15.25;
    __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+w"(f), "+w"(g));
    cs_switch(&main_sp, clobber_sp);
    __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+w"(f), "+w"(g));
    return a == 0x1111111111111111u && b == 0x2222222222222222u && c == 0x3333333333333333u
        && d == 0x4444444444444444u && f == 8.5 && g == 15.25;
#endif
}

static void test_callee_saved(void) {
    clobber_sp = cs_make_context(new_stack_top(), clobber_entry, NULL);
    int ok = 1;
    for (int i = 0; i < 100; i++) ok &= registers_survive_switch();
    check(ok, "callee-saved registers survive a switch to a context that overwrites them all");
}

// --- alignment and depth: real C code (varargs with doubles, recursion) on a green stack -------

static void *work_sp;
static char formatted[64];
static int frame_aligned;
static long recursion_result;

__attribute__((noinline)) static long recurse(int depth, volatile char *previous) {
    volatile char frame[512];  // about 0.5 KiB per level
    frame[0] = (char)depth;
    frame[511] = previous ? previous[0] : 0;
    if (depth == 0) return frame[511];  // depth 1 stored 1 in its frame[0]
    return recurse(depth - 1, frame) + 1;
}

static void work_entry(void *argument) {
    (void)argument;
    // On x86_64 printf saves vector registers with aligned stores when a double is passed,
    // so a stack that is not 16-byte aligned at calls crashes here.
    snprintf(formatted, sizeof formatted, "%.3f %s %d", 3.25, "ok", 42);
    frame_aligned = ((uintptr_t)__builtin_frame_address(0) % 16) == 0;
    recursion_result = recurse(300, NULL);  // ~150 KiB of a 256 KiB stack
    for (;;) cs_switch(&work_sp, main_sp);
}

static void test_alignment_and_depth(void) {
    work_sp = cs_make_context(new_stack_top(), work_entry, NULL);
    cs_switch(&main_sp, work_sp);
    check(strcmp(formatted, "3.250 ok 42") == 0 && frame_aligned, "16-byte aligned stack: printf of a double works");
    check(recursion_result == 301, "deep recursion on a green stack (~150 KiB of 256 KiB) returns the right value");
}

int main(void) {
    printf("context switch test on %s\n", ARCH);
    test_round_robin();
    test_callee_saved();
    test_alignment_and_depth();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
