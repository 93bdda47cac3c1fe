/* The probe guest: a few instructions run by `mkvm --probe` and before a
 * boot, to learn what this host's KVM really gives a guest. mkvm copies
 * the bytes between probe_guest_start and probe_guest_end to guest
 * address PROBE_CODE (probe.c) and enters at the start in 64-bit ring 0
 * with paging, GDT, IDT and TSS already set up through KVM_SET_SREGS.
 *
 * Each step reports by writing a dword to port PROBE_PORT:
 *   1. set CR4.PCIDE                      -> PROBE_PCIDE_OK
 *   2. IRETQ to ring 3, SYSCALL; at LSTAR run a privileged instruction
 *      (mov %cr0) and a port write       -> PROBE_SYSCALL_OK
 * A fault reports PROBE_FAULT | step << 8 | vector << 16 and resumes at
 * the next step (%r14); the end is PROBE_DONE. Code is position
 * independent: only RIP-relative references. */
#include "probe/probe_abi.h"

	.section .rodata
	.code64
	.globl probe_guest_start, probe_guest_end, probe_guest_syscall
	.globl probe_guest_stubs

probe_guest_start:
	mov	$PROBE_PORT, %dx

	/* Step 1: CR4.PCIDE (CR3[11:0] is 0, long mode is on). */
	mov	$1, %r15d
	lea	step2(%rip), %r14
	mov	%cr4, %rax
	or	$CR4_PCIDE, %rax
	mov	%rax, %cr4
	mov	$PROBE_PCIDE_OK, %eax
	out	%eax, %dx

	/* Step 2: to ring 3, then SYSCALL. */
step2:
	mov	$2, %r15d
	lea	done(%rip), %r14
	pushq	$PROBE_USER_DS | 3
	pushq	$PROBE_USER_STACK
	pushq	$0x2
	pushq	$PROBE_USER_CS | 3
	lea	user(%rip), %rax
	push	%rax
	iretq
user:
	syscall
	ud2

probe_guest_syscall:
	mov	%cr0, %rax              /* #GP unless SYSCALL reached CPL0 */
	mov	$PROBE_SYSCALL_OK, %eax
	out	%eax, %dx

done:
	mov	$PROBE_DONE, %eax
	out	%eax, %dx
	hlt
	jmp	done

/* Any exception: report it, then IRETQ to ring 0 at %r14. */
fault:
	mov	%r15d, %eax
	shl	$8, %eax
	shl	$16, %ebx
	or	%ebx, %eax
	or	$PROBE_FAULT, %eax
	mov	$PROBE_PORT, %dx
	out	%eax, %dx
	mov	%r14, 0(%rsp)                   /* RIP */
	movq	$PROBE_KERNEL_CS, 8(%rsp)       /* CS */
	movq	$0x2, 16(%rsp)                  /* RFLAGS */
	movq	$PROBE_KERNEL_STACK, 24(%rsp)   /* RSP */
	movq	$PROBE_KERNEL_DS, 32(%rsp)      /* SS */
	iretq

/* One 16-byte stub per exception vector 0..31; those with an error code
 * drop it so every frame looks alike. */
	.balign 16
probe_guest_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	add	$8, %rsp
	.endif
	mov	$\vec, %ebx
	jmp	fault
	.endr
probe_guest_end:

	.section .note.GNU-stack, "", @progbits
