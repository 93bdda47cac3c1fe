/* hello.elf: ring 0 only. Boots through PVH, shows what hvm_start_info
 * carries, and passes. Runs anywhere, even on a host whose ring 3 is broken. */
#include "guest.h"

void test_main(struct hvm_start_info *si)
{
	print("hello: PVH boot ok, hvm_start_info magic 0x%x version %u, %u module(s)\n",
	      si->magic, si->version, si->nr_modules);
	if (si->cmdline_paddr)
		print("hello: cmdline: %s\n", (const char *)(uintptr_t)si->cmdline_paddr);
	else
		print("hello: no cmdline\n");
	if (si->version >= 1)
		print("hello: %u memory map entries\n", si->memmap_entries);
	print("hello: running at CPL%u\n", read_cs() & 3);
}
