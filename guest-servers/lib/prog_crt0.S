/* Entry of a program the root task loaded: rdi = MKVM_PROG_INFO and rsp at
 * the top of the stack the root task pages for it. main(info); a return
 * from main ends the program with main's value as its status. */
	.text
	.globl _start
_start:
	xor %ebp, %ebp
	and $-16, %rsp
	mov %rdi, %rbx
	call main
	mov %eax, %edi
	call prog_exit
1:	jmp 1b
