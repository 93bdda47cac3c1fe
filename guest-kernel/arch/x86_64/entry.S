/* Kernel entry and exit: IDT stubs, the SYSCALL entry, the return to user
 * mode (SYSRET when the frame came from SYSCALL and its rip is canonical,
 * IRETQ otherwise) and the kernel-stack switch between threads.
 * The frame layout is struct trapframe in x86.h. */
#define CPU_KSTACK   8
#define CPU_USER_RSP 16
#define F_R11    32
#define F_RCX    96
#define F_VECTOR 120
#define F_RIP    136
#define F_CS     144
#define F_RFLAGS 152
#define F_RSP    160
#define SEL_UCODE (0x20 | 3)
#define SEL_UDATA (0x18 | 3)
#define L4_SYS_KINFO 8               /* mkvm/abi.h */

.macro PUSH_GPRS
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro POP_GPRS
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
.endm

	.text
/* Vectors that push an error code: 8, 10-14, 17, 21, 29, 30. A device can
 * still send an external interrupt on one of them (an MSI with vector 17),
 * and an interrupt pushes none: the word above rip is then rflags, whose IF
 * (bit 9) is set for every interrupt taken, where an exception's is cs,
 * whose selector is below 0x200. Such a frame gets TRAP_NO_ERROR_CODE
 * (x86.h) as its error code, and trap_dispatch drops the interrupt. */
.macro ISR n
	.p2align 4
isr_\n:
	.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	testw $0x200, 16(%rsp)
	jz 1f
	push $-1                     /* TRAP_NO_ERROR_CODE */
1:
	.else
	push $0
	.endif
	push $\n
	jmp isr_common
.endm

.altmacro
.set i, 0
.rept 256
	ISR %i
	.set i, i + 1
.endr

.macro ISR_ADDR n
	.quad isr_\n
.endm
	.section .rodata
	.globl isr_table
	.p2align 3
isr_table:
.set i, 0
.rept 256
	ISR_ADDR %i
	.set i, i + 1
.endr
.noaltmacro

	.text
isr_common:
	testb $3, 24(%rsp)           /* cs of the interrupted context */
	jz 1f
	swapgs
1:	PUSH_GPRS
	cld
	mov %rsp, %rdi
	call trap_dispatch
	mov %rsp, %rdi
	jmp user_return

/* SYSCALL: rcx holds the user rip, r11 its rflags; IA32_FMASK cleared IF,
 * TF, DF, NT and AC. The IPC fast path and the general path both run on
 * a full frame; kinfo, which reads two words and the clock and can
 * neither block nor fault, is answered without one. */
.macro SYSCALL_FRAME
	swapgs
	mov %rsp, %gs:CPU_USER_RSP
	mov %gs:CPU_KSTACK, %rsp
	push $SEL_UDATA
	push %gs:CPU_USER_RSP
	push %r11
	push $SEL_UCODE
	push %rcx
	push $0
	push $0x100                  /* VEC_SYSCALL */
	PUSH_GPRS
	mov %rsp, %rdi
.endm

	.globl syscall_entry
syscall_entry:
	test %rax, %rax              /* L4_SYS_IPC: the fast path first */
	jnz 1f
	SYSCALL_FRAME
	call ipc_fastpath            /* returns only to decline */
	mov %rsp, %rdi
	jmp 2f
1:	cmp $L4_SYS_KINFO, %rax
	je kinfo_leaf
	SYSCALL_FRAME
2:	call syscall_dispatch
	mov %rsp, %rdi
	/* fall through */

/* user_return(frame): leave the kernel through the frame at rdi (which is
 * at the top of the current thread's kernel stack, or an exception frame).
 * SYSRET when the frame came from SYSCALL and its rip is a lower-half
 * address (SYSRET faults in ring 0 on a non-canonical rcx), IRETQ else. */
	.globl user_return
user_return:
	mov %rdi, %rsp
	cmpq $0x100, F_VECTOR(%rsp)
	jne iret_path
	testl $0xffff8000, F_RIP+4(%rsp) /* rip bits 47..63 */
	jnz iret_path
	.globl user_return_syscall
user_return_syscall:                 /* kernel.h says when it may be used */
	mov %rdi, %rsp
	POP_GPRS
	mov 16(%rsp), %rcx           /* vector, error, rip, cs, rflags, rsp */
	mov 32(%rsp), %r11
	mov 40(%rsp), %rsp
	swapgs
	sysretq

/* kinfo: flags in rdi, the tick length in rsi, the time in rdx (all in
 * microseconds), L4_OK in rax; every other register as it was. It runs on
 * the user's stack pointer and GS base without touching either: interrupts
 * stay off until SYSRET, and NMI, #MC and #DF have stacks of their own.
 * rcx is the address after the SYSCALL, which is canonical because user
 * mappings end at L4_USER_TOP, a page below the end of the lower half. */
kinfo_leaf:
	mov kinfo_flags_word(%rip), %rdi
	mov kinfo_tick_us(%rip), %rsi
	mov ticks(%rip), %rdx
	imul %rsi, %rdx
	xor %eax, %eax
	sysretq

iret_path:
	POP_GPRS
	add $16, %rsp                /* vector, error */
	testb $3, 8(%rsp)
	jz 1f
	swapgs
1:	iretq

/* switch_context(&prev->ksp, next->ksp): callee-saved state stays on the
 * old stack; returns on the new one. */
	.globl switch_context
switch_context:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* A thread that blocked in the IPC fast path, woken by the general path:
 * switch_context returns here with rsp at its trapframe (sched.c). */
	.globl ipc_continue_entry
ipc_continue_entry:
	mov %rsp, %rdi
	call ipc_continue
	mov %rsp, %rdi
	jmp user_return

/* First switch_context into a new user thread returns here, with rsp at
 * its trapframe. */
	.globl thread_first_return
thread_first_return:
	mov %rsp, %rdi
	jmp user_return
