/* The code of a zone program's gate page (zones.c copies it there and
 * patches the placeholders; the page's state is at MKVM_ZONE_DATA_VA: +0
 * a call is in flight, +8 its return address, +16 the caller's stack,
 * +24.. the caller's rbx, rbp, r12..r15, which the return restores: a
 * zone cannot change them, even when its call ends by a fault). Every WRPKRU is followed by a check that PKRU is
 * what this gate meant to load, so a jump straight to a WRPKRU with
 * another value in eax faults; between them the code runs straight on.
 * G (the gates' state writable, all else read-only) is the only PKRU in
 * which the state can be written, so only the gate can change it. */
#define DATA 0x4000
#define PATCH32 0x11111111
#define PATCH64 0x1111111111111111

/* PKRU := a patched value, then checked: a jump to the WRPKRU with
 * another value in eax ends at label 9 of the gate. */
.macro SET_PKRU
	mov $PATCH32, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	wrpkru
	cmp $PATCH32, %eax
	jne 9f
.endm

	.section .rodata.zgate, "a"
	.globl zgate_call, zgate_call_end, zgate_abort
/* Call gate: the caller's arguments in rdi, rsi, rdx, rcx, r8, r9. */
zgate_call:
	mov %rdx, %r10
	mov %rcx, %r11
	SET_PKRU
	cmpq $0, DATA
	jne 9f
	movq $1, DATA
	pop %rax                       /* the caller's return address */
	mov %rax, DATA+8
	mov %rsp, DATA+16
	mov %rbx, DATA+24
	mov %rbp, DATA+32
	mov %r12, DATA+40
	mov %r13, DATA+48
	mov %r14, DATA+56
	mov %r15, DATA+64
	movabs $PATCH64, %rsp
	SET_PKRU
	mov %r10, %rdx
	mov %r11, %rcx
	movabs $PATCH64, %rax
	call *%rax
	mov %rax, %r10                 /* the result */
	jmp 2f
zgate_abort:                       /* a fault in the zone: the result says so */
	mov $-1, %r10
2:	SET_PKRU
	cmpq $1, DATA
	jne 9f
	movq $0, DATA
	SET_PKRU
	mov DATA+16, %rsp              /* read after PKRU is the caller's again */
	mov DATA+24, %rbx
	mov DATA+32, %rbp
	mov DATA+40, %r12
	mov DATA+48, %r13
	mov DATA+56, %r14
	mov DATA+64, %r15
	mov %r10, %rax
	jmp *DATA+8
9:	ud2
zgate_call_end:

/* Kernel zone call entry: the entry function, then the zone's return. */
	.globl zgate_kstub, zgate_kstub_end, zgate_kabort, zgate_kabort_end
zgate_kstub:
	movabs $PATCH64, %rax
	call *%rax
	mov %rax, %rdi
	mov $12, %eax                  /* L4_SYS_ZONE_RETURN */
	syscall
	ud2
zgate_kstub_end:
zgate_kabort:                      /* a fault in the zone: the result says so */
	mov $-1, %rdi
	mov $12, %eax
	syscall
	ud2
zgate_kabort_end:
