/* Ring transitions: exception entry, entering and leaving CPL3.
 *
 * Exceptions arrive on the current stack at CPL0, or on TSS.rsp0 (cpu.c) when
 * they come from CPL3. Every stub makes the frame uniform (error code, then
 * vector) and trap_common hands a struct trap_frame to trap() in lib.c.
 */
#include "guest.h"

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		      (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.altmacro
	.macro trap_stub v
trap_stub_\v:
	.if !HAS_ERROR(\v)
	pushq $0
	.endif
	pushq $\v
	jmp trap_common
	.endm

	.set v, 0
	.rept NR_EXCEPTIONS
	trap_stub %v
	.set v, v + 1
	.endr

	.macro stub_addr v
	.quad trap_stub_\v
	.endm

	.section .rodata
	.globl trap_stubs
trap_stubs:
	.set v, 0
	.rept NR_EXCEPTIONS
	stub_addr %v
	.set v, v + 1
	.endr

	.text
trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi		/* the CPU aligned the frame: %rsp is 16-aligned here */
	call trap
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

/* uint64_t user_run(void (*fn)(void)): IRETQ to fn at CPL3, IOPL 0,
 * interrupts off, on user_stack; fn must never return. Keeps the callee-saved registers and the
 * ring-0 stack pointer so user_return can resume here. */
	.globl user_run
user_run:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, user_run_rsp(%rip)
	pushq $(USER_DS | 3)
	leaq user_stack_top - 8(%rip), %rax	/* as if fn were called */
	pushq %rax
	pushq $0x2		/* RFLAGS: reserved bit 1 only (IF=0, IOPL=0) */
	pushq $(USER_CS | 3)
	pushq %rdi
	iretq

/* void user_return(uint64_t val): back to user_run's caller at CPL0. */
	.globl user_return
user_return:
	movq user_run_rsp(%rip), %rsp
	movq %rdi, %rax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.bss
	.p2align 3
user_run_rsp:		.skip 8
	.p2align 4
	.skip 8192
user_stack_top:
