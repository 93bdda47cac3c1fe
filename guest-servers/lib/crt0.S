/* Entry of a boot task: the kernel passes the boot info address in rdi
 * and no stack; main(bootinfo) runs on the task's static stack. */
	.text
	.globl _start
_start:
	lea stack_top(%rip), %rsp
	xor %ebp, %ebp
	call main
1:	jmp 1b

	.bss
	.p2align 4
	.skip 16384
stack_top:
