/* PVH entry and the switch to 64-bit mode.
 *
 * A PVH loader (mkvm, QEMU -kernel) finds pvh_start through the Xen ELF note
 * below and enters it in 32-bit protected mode, paging off, interrupts off,
 * flat CS/DS/SS, %ebx = physical address of struct hvm_start_info, %esp
 * undefined. We zero .bss, identity-map the first 1 GiB with 2 MiB pages,
 * enable long mode, load our GDT (cpu.c) and call guest_start(start_info).
 */
#include "guest.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18 /* as in mkvm/pvh.h, which is C only */

#define CR0_PE    (1 << 0)
#define CR0_PG    (1 << 31)
#define CR4_PAE   (1 << 5)
#define MSR_EFER  0xc0000080
#define EFER_LME  (1 << 8)
#define PTE_P     (1 << 0)
#define PTE_W     (1 << 1)
#define PTE_U     (1 << 2)
#define PTE_PS    (1 << 7)

	/* n_namesz, n_descsz, n_type, "Xen\0", 32-bit entry address. The
	 * section is 4-byte aligned so the PT_NOTE segment is too: readers
	 * align the descriptor to the segment's alignment. */
	.section .note.pvh, "a", @note
	.p2align 2
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_start

	.section .text.boot, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	movl %ebx, %esi
	movl $boot_stack_top, %esp

	/* .bss holds the page tables and stacks; a loader need not zero it. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	movl $pdpt + (PTE_P | PTE_W | PTE_U), pml4
	movl $pd + (PTE_P | PTE_W | PTE_U), pdpt
	movl $pd, %edi
	movl $(PTE_P | PTE_W | PTE_U | PTE_PS), %eax
	movl $512, %ecx
1:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 1b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PE | CR0_PG), %eax
	movl %eax, %cr0

	lgdt gdt_ptr
	ljmp $KERNEL_CS, $long_mode

	.code64
long_mode:
	movw $KERNEL_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl %esi, %edi
	call guest_start
	ud2

	.bss
	.p2align 12
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4096
	.p2align 4
	.skip 16384
boot_stack_top:
