/* LSTAR target of syscall.elf.
 *
 * SYSCALL left the user RIP in %rcx, the user RFLAGS in %r11 and the user
 * stack in %rsp; the call number and argument are in %rdi and %rsi.
 * syscall_dispatch (syscall.c) runs on its own stack and returns the result
 * in %rax; SYSRETQ then resumes user mode after the SYSCALL.
 */
	.text
	.globl syscall_entry
syscall_entry:
	movq %rsp, syscall_user_rsp(%rip)
	leaq syscall_stack_top(%rip), %rsp
	pushq %rcx
	pushq %r11
	call syscall_dispatch
	popq %r11
	popq %rcx
	movq syscall_user_rsp(%rip), %rsp
	sysretq

	.bss
	.p2align 4
syscall_user_rsp:
	.skip 16
	.skip 8192
syscall_stack_top:
