/* triple.elf: an exception with an empty IDT cannot be delivered (#GP), nor
 * can that (#DF): the CPU shuts down. QEMU -no-reboot then exits with status
 * 0; mkvm must exit with MKVM_EXIT_GUEST_CRASH (8). */
#include "guest.h"

void test_main(struct hvm_start_info *si)
{
	(void)si;
	print("triple: loading an empty IDT and executing ud2\n");
	cpu_load_empty_idt();
	__asm__ volatile("ud2");
	fail("triple: still running after the triple fault");
}
