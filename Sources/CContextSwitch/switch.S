// switch.S: the context switch of the StateThreads runtime, for x86_64 and arm64 Linux.
//
// The only assembly in the repository, and the only thing Swift cannot say: "put this stack
// pointer away and continue on that one". A paused green thread is just its stack: everything
// it needs to carry on (the registers a function call must preserve, and the return address
// into its code) is pushed onto that stack, and the one stack pointer is stored in a variable.
//
// Only the *callee-saved* registers are saved. `cs_switch` is an ordinary function call as far
// as the compiler of the calling code is concerned, so the caller already assumes every other
// register (the argument and scratch registers, the flags) is destroyed by the call and has
// saved whatever it still needs. This is why a switch costs a handful of instructions, where
// glibc's `swapcontext` also saves the signal mask (a system call) and every register.
//
// Not saved, on purpose: the x87 control word and the MXCSR (x86_64) and the FPCR (arm64),
// the floating-point control modes the ABIs also call callee-saved. Nothing in this program
// changes them, so every green thread sees the same values; a program that changes rounding
// modes per thread would have to save them here too.
//
// cs_switch(save_sp, load_sp) and cs_make_context(stack_top, entry, argument) are declared in
// include/CContextSwitch.h. Chapter 5 draws the stacks.

#if defined(__x86_64__)

// ---------------------------------------------------------------------------------------------
// x86_64, System V ABI: callee-saved are rbx, rbp, r12-r15 (and rsp itself). Arguments arrive in
// rdi, rsi, rdx; the result goes in rax. At a `call` the stack pointer is a multiple of 16, so a
// function starts with rsp = 16n + 8 (the return address just pushed).

        .text
        .globl  cs_switch
        .type   cs_switch, @function
        .p2align 4
// snippet: switch-x86_64
// void cs_switch(void **save_sp /* rdi */, void *load_sp /* rsi */)
cs_switch:
        pushq   %rbp                    // save the callee-saved registers on the current stack,
        pushq   %rbx                    // just below the return address that `call` pushed
        pushq   %r12                    // r12-r15: the rest of the callee-saved registers
        pushq   %r13                    // (the caller keeps values it needs after the call in them,
        pushq   %r14                    // so they must look untouched when cs_switch returns)
        pushq   %r15                    // the parked frame: 6 registers + the return address
        movq    %rsp, (%rdi)            // *save_sp = rsp: this context is now fully parked
        movq    %rsi, %rsp              // rsp = load_sp: we are on the other context's stack
        popq    %r15                    // restore the other context's registers, last pushed first
        popq    %r14                    // r14, as its own cs_switch call saved it
        popq    %r13                    // r13
        popq    %r12                    // r12
        popq    %rbx                    // rbx
        popq    %rbp                    // rbp; now its return address is on top of the stack
        ret                             // pop its return address: resume where it called cs_switch
// end snippet
        .size   cs_switch, .-cs_switch

        .globl  cs_make_context
        .type   cs_make_context, @function
        .p2align 4
// snippet: make-context-x86_64
// void *cs_make_context(void *stack_top /* rdi */, void (*entry)(void *) /* rsi */,
//                       void *argument /* rdx */)
// Builds the frame cs_switch expects to pop, so that its `ret` lands in cs_start:
//   top-8, top-16  0         padding, keeps cs_start's `call` 16-byte aligned
//   top-24         cs_start  the "return address" cs_switch's `ret` pops
//   top-32         rbp = 0   ends the frame-pointer chain for debuggers
//   top-40         rbx = 0
//   top-48         r12 = entry
//   top-56         r13 = argument
//   top-64, top-72 r14 = r15 = 0     <- the returned stack pointer
cs_make_context:
        andq    $-16, %rdi              // round the top down to a multiple of 16
        movq    $0, -8(%rdi)            // padding
        movq    $0, -16(%rdi)           // padding
        leaq    cs_start(%rip), %rax    // address of cs_start, position-independent
        movq    %rax, -24(%rdi)         // where the first switch to this stack will "return"
        movq    $0, -32(%rdi)           // rbp: a null frame pointer stops backtraces here
        movq    $0, -40(%rdi)           // rbx
        movq    %rsi, -48(%rdi)         // r12 carries entry into cs_start
        movq    %rdx, -56(%rdi)         // r13 carries argument into cs_start
        movq    $0, -64(%rdi)           // r14
        movq    $0, -72(%rdi)           // r15
        leaq    -72(%rdi), %rax         // return the new context's stack pointer
        ret                             // back to the caller, still on its own stack
// end snippet
        .size   cs_make_context, .-cs_make_context

        .type   cs_start, @function
        .p2align 4
// snippet: start-x86_64
// The first instruction a new green thread runs, reached by cs_switch's `ret`. rsp = top-16.
cs_start:
        .cfi_startproc
        .cfi_undefined rip              // tell unwinders there is no caller above this frame
        movq    %r13, %rdi              // first argument: the argument cs_make_context stored
        callq   *%r12                   // entry(argument); rsp is 16-byte aligned at the call
        ud2                             // entry must never return; if it does, trap (SIGILL)
        .cfi_endproc
// end snippet
        .size   cs_start, .-cs_start

#elif defined(__aarch64__)

// ---------------------------------------------------------------------------------------------
// arm64, AAPCS64: callee-saved are x19-x28, the frame pointer x29, the link register x30 (which
// holds our return address: `bl` does not push it) and the low 64 bits of v8-v15 (d8-d15).
// Arguments arrive in x0-x2; the result goes in x0. sp must always be a multiple of 16.

        .text
        .globl  cs_switch
        .type   cs_switch, %function
        .p2align 4
// snippet: switch-arm64
// void cs_switch(void **save_sp /* x0 */, void *load_sp /* x1 */)
cs_switch:
        sub     sp, sp, #160            // room for 20 registers; sp stays 16-byte aligned
        stp     x19, x20, [sp, #0]      // save the callee-saved general registers, in pairs
        stp     x21, x22, [sp, #16]     // (stp stores two registers with one instruction)
        stp     x23, x24, [sp, #32]     // x23, x24
        stp     x25, x26, [sp, #48]     // x25, x26
        stp     x27, x28, [sp, #64]     // x27, x28
        stp     x29, x30, [sp, #80]     // frame pointer, and x30: where to return to
        stp     d8, d9, [sp, #96]       // the callee-saved halves of the vector registers
        stp     d10, d11, [sp, #112]    // d10, d11
        stp     d12, d13, [sp, #128]    // d12, d13
        stp     d14, d15, [sp, #144]    // d14, d15
        mov     x9, sp                  // sp cannot be stored directly: copy it to a scratch register
        str     x9, [x0]                // *save_sp = sp: this context is now fully parked
        mov     sp, x1                  // sp = load_sp: we are on the other context's stack
        ldp     x19, x20, [sp, #0]      // restore the other context's registers
        ldp     x21, x22, [sp, #16]     // from the frame its own cs_switch stored
        ldp     x23, x24, [sp, #32]     // x23, x24
        ldp     x25, x26, [sp, #48]     // x25, x26
        ldp     x27, x28, [sp, #64]     // x27, x28
        ldp     x29, x30, [sp, #80]     // including x30, its return address
        ldp     d8, d9, [sp, #96]       // and the vector register halves d8, d9
        ldp     d10, d11, [sp, #112]    // d10, d11
        ldp     d12, d13, [sp, #128]    // d12, d13
        ldp     d14, d15, [sp, #144]    // d14, d15
        add     sp, sp, #160            // pop the saved frame
        ret                             // branch to x30: resume where it called cs_switch
// end snippet
        .size   cs_switch, .-cs_switch

        .globl  cs_make_context
        .type   cs_make_context, %function
        .p2align 4
// snippet: make-context-arm64
// void *cs_make_context(void *stack_top /* x0 */, void (*entry)(void *) /* x1 */,
//                       void *argument /* x2 */)
// Builds the 160-byte frame cs_switch pops: x19 = entry, x20 = argument, x29 = 0,
// x30 = cs_start, everything else 0.
cs_make_context:
        and     x0, x0, #-16            // round the top down to a multiple of 16
        sub     x0, x0, #160            // room for one saved frame, as cs_switch lays it out
        stp     x1, x2, [x0, #0]        // x19 carries entry, x20 carries argument into cs_start
        stp     xzr, xzr, [x0, #16]     // x21, x22
        stp     xzr, xzr, [x0, #32]     // x23, x24
        stp     xzr, xzr, [x0, #48]     // x25, x26
        stp     xzr, xzr, [x0, #64]     // x27, x28
        adr     x9, cs_start            // address of cs_start, position-independent
        stp     xzr, x9, [x0, #80]      // x29 = 0 ends the frame chain; x30 = cs_start
        stp     xzr, xzr, [x0, #96]     // d8, d9
        stp     xzr, xzr, [x0, #112]    // d10, d11
        stp     xzr, xzr, [x0, #128]    // d12, d13
        stp     xzr, xzr, [x0, #144]    // d14, d15
        ret                             // x0 = the new context's stack pointer
// end snippet
        .size   cs_make_context, .-cs_make_context

        .type   cs_start, %function
        .p2align 4
// snippet: start-arm64
// The first instruction a new green thread runs, reached by cs_switch's `ret`. sp = top.
cs_start:
        .cfi_startproc
        .cfi_undefined x30              // tell unwinders there is no caller above this frame
        mov     x0, x20                 // first argument: the argument cs_make_context stored
        blr     x19                     // entry(argument)
        brk     #0                      // entry must never return; if it does, trap (SIGTRAP)
        .cfi_endproc
// end snippet
        .size   cs_start, .-cs_start

#else
#error "CContextSwitch supports x86_64 and arm64 only"
#endif

// The thread-local slot behind cs_current_scheduler() (see CContextSwitch.h): 8 zero bytes in
// the thread-local BSS, so every kernel thread starts with NULL.
        .section .tbss, "awT", %nobits
        .globl  cs_scheduler_slot
        .type   cs_scheduler_slot, %object
        .size   cs_scheduler_slot, 8
        .p2align 3
cs_scheduler_slot:
        .zero   8                       // one pointer per kernel thread

// Without this note the linker assumes assembly code needs an executable stack and marks the
// whole program so: every green-thread stack and the main stack would become executable.
        .section .note.GNU-stack, "", %progbits
