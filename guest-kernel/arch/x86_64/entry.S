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
#define L4_SYS_ZONE_CALL 11
#define L4_SYS_ZONE_RETURN 12
#define L4_ZONE_ENTRIES 16
#define L4_ZONE_DEPTH 4
/* Layouts the zone leaves read (asserted in zone.c). */
#define CPU_CURRENT 24
#define TCB_SPACE 16
#define TCB_ZDEPTH 108
#define TCB_ZRET 112
#define SPACE_ZONED 80
#define SPACE_ZONE 88
#define ZONE_ENTRY_SIZE 24           /* ip, sp, pkru */
#define ZONE_FRAME_SIZE 72           /* ip, sp, rbx, rbp, r12..r15, pkru */

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
	cmp $L4_SYS_ZONE_CALL, %rax
	je zone_call_leaf
	cmp $L4_SYS_ZONE_RETURN, %rax
	je zone_return_leaf
syscall_general:
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

/* Zone call and return (zone.c, abi.h): like kinfo, without a frame, a
 * stack or SWAPGS (interrupts stay off, and the kernel reaches its data
 * without GS: one CPU). A call whose checks fail, and a return without a
 * call, go the general way, which refuses them. Scratch registers are the
 * ones a zone call may change (rax, r9, r10; rcx and r11 are SYSCALL's). */
zone_call_leaf:
	mov cpu0+CPU_CURRENT(%rip), %r9
	mov TCB_SPACE(%r9), %r10
	cmpb $0, SPACE_ZONED(%r10)   /* only a zoned space (so the CPU has PKU) */
	je 9f
	lea -1(%rdi), %rax           /* entries 1..L4_ZONE_ENTRIES-1 */
	cmp $L4_ZONE_ENTRIES - 1, %rax
	jae 9f
	imul $ZONE_ENTRY_SIZE, %rdi, %rax
	lea SPACE_ZONE(%r10,%rax), %r10
	cmpq $0, (%r10)              /* registered */
	je 9f
	mov TCB_ZDEPTH(%r9), %eax
	cmp $L4_ZONE_DEPTH, %eax
	jae 9f
	incl TCB_ZDEPTH(%r9)
	imul $ZONE_FRAME_SIZE, %rax, %rax
	lea TCB_ZRET(%r9,%rax), %rdi
	mov %rcx, 0(%rdi)            /* the caller's ip, sp, preserved registers */
	mov %rsp, 8(%rdi)
	mov %rbx, 16(%rdi)
	mov %rbp, 24(%rdi)
	mov %r12, 32(%rdi)
	mov %r13, 40(%rdi)
	mov %r14, 48(%rdi)
	mov %r15, 56(%rdi)
	mov %rdx, %r9
	xor %ecx, %ecx
	rdpkru
	mov %eax, 64(%rdi)           /* and its PKRU */
	mov 16(%r10), %eax
	xor %edx, %edx
	wrpkru                       /* the entry's */
	mov 0(%r10), %rcx            /* ip and sp checked when registered */
	mov 8(%r10), %rsp
	mov %rsi, %rdi               /* the arguments, as a C function takes them */
	mov %r9, %rsi
	mov %r8, %rdx
	xor %eax, %eax
	sysretq
9:	mov $L4_SYS_ZONE_CALL, %eax
	jmp syscall_general

zone_return_leaf:
	mov cpu0+CPU_CURRENT(%rip), %r9
	mov TCB_ZDEPTH(%r9), %eax
	test %eax, %eax
	jz 9f
	dec %eax
	mov %eax, TCB_ZDEPTH(%r9)
	imul $ZONE_FRAME_SIZE, %rax, %rax
	lea TCB_ZRET(%r9,%rax), %r10
	xor %ecx, %ecx
	xor %edx, %edx
	mov 64(%r10), %eax
	wrpkru                       /* the caller's PKRU, ip, sp and registers */
	mov 0(%r10), %rcx
	mov 8(%r10), %rsp
	mov 16(%r10), %rbx
	mov 24(%r10), %rbp
	mov 32(%r10), %r12
	mov 40(%r10), %r13
	mov 48(%r10), %r14
	mov 56(%r10), %r15
	xor %eax, %eax               /* rdi: the result */
	sysretq
9:	mov $L4_SYS_ZONE_RETURN, %eax
	jmp syscall_general

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
