/* Boot: the PVH entry (and a multiboot2 header) in 32-bit protected mode,
 * paging off. Builds boot page tables that map the first GiB both at 0 and
 * at KERNEL_VBASE, enters long mode and calls kmain(info, magic) on the
 * boot stack in the higher half. paging.c replaces these tables. */
#define KERNEL_VBASE 0xffffffff80000000
#define PA(x) ((x) - KERNEL_VBASE)
#define MB2_MAGIC 0xe85250d6
#define MB2_BOOT_MAGIC 0x36d76289

	.section .note.Xen, "a"
	.p2align 2
	.long 4, 8, 18           /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.p2align 2
	.quad pvh_entry

	.section .boot, "ax"
	.code32
	.p2align 3
mb2_header:
	.long MB2_MAGIC, 0, mb2_header_end - mb2_header
	.long -(MB2_MAGIC + (mb2_header_end - mb2_header))
	.p2align 3
	.word 3, 0               /* entry address tag */
	.long 12
	.long mb2_entry
	.p2align 3
	.word 0, 0               /* end tag */
	.long 8
mb2_header_end:

	/* Multiboot2: eax = magic, ebx = boot information. */
mb2_entry:
	mov %eax, %esi
	jmp common_entry

	.globl pvh_entry
	/* PVH: ebx = struct hvm_start_info. */
pvh_entry:
	xor %esi, %esi
common_entry:
	cld
	mov $PA(boot_stack_top), %esp
	mov %ebx, %edi           /* kmain(info, magic): edi, esi survive */

	/* pml4[0] and pml4[511] -> pdpt_lo/pdpt_hi; both -> pd (1 GiB of 2 MiB pages) */
	mov $PA(boot_pdpt_lo), %eax
	or $3, %eax
	mov %eax, PA(boot_pml4)
	mov %eax, PA(boot_pml4) + 256 * 8  /* physmap of the first GiB */
	mov $PA(boot_pdpt_hi), %eax
	or $3, %eax
	mov %eax, PA(boot_pml4) + 511 * 8
	mov $PA(boot_pd), %eax
	or $3, %eax
	mov %eax, PA(boot_pdpt_lo)
	mov %eax, PA(boot_pdpt_hi) + 510 * 8
	mov $PA(boot_pd), %ebx
	mov $0x83, %eax          /* present, writable, 2 MiB */
	mov $512, %ecx
1:	mov %eax, (%ebx)
	movl $0, 4(%ebx)
	add $0x200000, %eax
	add $8, %ebx
	loop 1b

	mov %cr4, %eax
	or $0x20, %eax           /* PAE */
	mov %eax, %cr4
	mov $PA(boot_pml4), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx    /* EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80010001, %eax     /* PG, WP, PE */
	mov %eax, %cr0
	lgdt boot_gdtr
	ljmp $8, $long_entry

	.code64
long_entry:
	mov $16, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	movabs $higher_half, %rax
	jmp *%rax

	.p2align 3
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 64-bit code */
	.quad 0x00cf92000000ffff /* data */
boot_gdtr:
	.word boot_gdtr - boot_gdt - 1
	.long boot_gdt

	.text
higher_half:
	movabs $boot_stack_top, %rsp
	xor %ebp, %ebp
	call kmain
2:	hlt
	jmp 2b

	.section .bss.boot, "aw", @nobits
	.p2align 12
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt_lo:	.skip 4096
boot_pdpt_hi:	.skip 4096
boot_pd:	.skip 4096
	.globl boot_stack_top
boot_stack:	.skip 16384
boot_stack_top:
