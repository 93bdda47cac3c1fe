/* vmmtest.elf: one tiny PVH guest for mkvm's own machine checks
 * (tests/vmm/check.sh). The first character of the command line picks
 * the check; each ends by writing a value V to the isa-debug-exit port
 * (status (V << 1) | 1), or by the mkvm exit it exercises:
 *   m  SMP: start all APs with INIT/SIPI/SIPI, V = CPUs that ran; mkvm
 *      puts --cpus in CPUID.01H:EBX[23:16], which bounds the wait
 *   o  ACPI S5: SLP_TYP 5 | SLP_EN to PM1a_CNT (0x604) -> status 0
 *   r  reset register: 0x06 to 0xcf9 -> status 0
 *   e  echo: wait for one byte on COM1, V = that byte
 *   w  wait forever with interrupts off (for Ctrl-A x / signals)
 *   p  PCI: host bridge 1b36:0008 at 00:00.0 via ECAM and 0xcf8/0xcfc,
 *      slot 31 reads all ones -> V = 0x10 pass, 0x11 fail
 *   u  unclaimed I/O: port 0x1234 and MMIO 0xdf000000 read all ones,
 *      writes there are ignored -> V = 0x10 pass, 0x11 fail
 * Entered in 32-bit protected mode, paging off, %ebx = hvm_start_info. */
#define LAPIC       0xfee00000
#define ICR_INIT_OTHERS 0x000c4500   /* all excluding self, assert, INIT */
#define ICR_SIPI_OTHERS 0x000c4600   /* | vector (page number) */
#define TRAMPOLINE  0x8000
#define COUNTER     0x7000
#define STACK_TOP   0x6ff0
#define WAIT_LIMIT  50000000
#define ECAM        0xe0000000
#define PASS        0x10
#define FAIL        0x11

	.section .note.pvh, "a", @note
	.balign 4
	.long 4, 4, 18                  /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long start

	.text
	.code32
	.globl start
start:
	cli
	mov	$STACK_TOP, %esp        /* PVH provides no stack */
	mov	24(%ebx), %esi          /* cmdline_paddr (low half) */
	xor	%eax, %eax
	test	%esi, %esi
	jz	1f
	movzbl	(%esi), %eax
1:	cmp	$'m', %al
	je	smp
	cmp	$'o', %al
	je	s5
	cmp	$'r', %al
	je	reset
	cmp	$'e', %al
	je	echo
	cmp	$'w', %al
	je	halt
	cmp	$'p', %al
	je	pci
	cmp	$'u', %al
	je	unclaimed
	mov	$FAIL, %al
exit:
	out	%al, $0xf4
halt:
	hlt
	jmp	halt

s5:
	mov	$0x604, %dx
	mov	$(5 << 10 | 1 << 13), %ax
	out	%ax, %dx
	jmp	halt

reset:
	mov	$0xcf9, %dx
	mov	$0x06, %al
	out	%al, %dx
	jmp	halt

echo:
	mov	$0x3fd, %dx             /* LSR: wait for data ready */
1:	in	%dx, %al
	test	$1, %al
	jz	1b
	mov	$0x3f8, %dx
	in	%dx, %al
	jmp	exit

pci:
	cmpl	$0x00081b36, ECAM               /* 00:00.0 via ECAM */
	jne	fail
	cmpl	$0xffffffff, ECAM + (31 << 15)  /* empty slot */
	jne	fail
	mov	$0xcf8, %dx
	mov	$0x80000000, %eax               /* 00:00.0 register 0 */
	out	%eax, %dx
	mov	$0xcfc, %dx
	in	%dx, %eax
	cmp	$0x00081b36, %eax
	jne	fail
	mov	$PASS, %al
	jmp	exit

unclaimed:
	mov	$0x1234, %dx
	mov	$0x55, %al
	out	%al, %dx
	in	%dx, %al
	cmp	$0xff, %al
	jne	fail
	movl	$0, 0xdf000000
	cmpl	$0xffffffff, 0xdf000000
	jne	fail
	mov	$PASS, %al
	jmp	exit
fail:
	mov	$FAIL, %al
	jmp	exit

smp:
	movl	$0, COUNTER
	mov	$trampoline, %esi
	mov	$TRAMPOLINE, %edi
	mov	$(trampoline_end - trampoline), %ecx
	rep movsb
	mov	$1, %eax
	cpuid
	shr	$16, %ebx
	and	$0xff, %ebx
	dec	%ebx                    /* APs to wait for */
	orl	$0x100, LAPIC + 0xf0    /* SVR: APIC software enable */
	movl	$0, LAPIC + 0x310       /* ICR high: no destination field */
	movl	$ICR_INIT_OTHERS, LAPIC + 0x300
	call	delay
	movl	$ICR_SIPI_OTHERS | (TRAMPOLINE >> 12), LAPIC + 0x300
	call	delay
	movl	$ICR_SIPI_OTHERS | (TRAMPOLINE >> 12), LAPIC + 0x300
	mov	$WAIT_LIMIT, %ecx
1:	cmp	COUNTER, %ebx
	je	2f
	pause
	dec	%ecx
	jnz	1b
2:	mov	COUNTER, %eax
	inc	%eax                    /* + the BSP */
	jmp	exit

delay:
	mov	$100000, %ecx
1:	pause
	dec	%ecx
	jnz	1b
	ret

/* Runs on each AP in real mode at 0800:0000; position independent. */
	.code16
trampoline:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	lock incl COUNTER
1:	hlt
	jmp	1b
trampoline_end:

	.section .note.GNU-stack, "", @progbits
