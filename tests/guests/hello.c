/* hello.elf: ring 0 only. Boots through PVH, shows what hvm_start_info
 * carries (command line, boot module, ACPI RSDP), and passes. Runs anywhere,
 * even on a host whose ring 3 is broken. */
#include "guest.h"

/* Prints module 0 when it is text (the test module is one short line). */
static void show_module(const struct hvm_modlist_entry *m)
{
	const char *p = (const char *)(uintptr_t)m->paddr;
	char line[64];
	unsigned i;

	for (i = 0; i < m->size && i < sizeof(line) - 1 && p[i] != '\n'; i++)
		line[i] = (p[i] >= ' ' && p[i] <= '~') ? p[i] : '.';
	line[i] = 0;
	print("hello: module 0: %lu bytes: %s\n", m->size, line);
}

void test_main(struct hvm_start_info *si)
{
	print("hello: PVH boot ok, hvm_start_info magic 0x%x version %u, %u module(s)\n",
	      si->magic, si->version, si->nr_modules);
	if (si->cmdline_paddr)
		print("hello: cmdline: %s\n", (const char *)(uintptr_t)si->cmdline_paddr);
	else
		print("hello: no cmdline\n");
	if (si->nr_modules)
		show_module((const struct hvm_modlist_entry *)(uintptr_t)si->modlist_paddr);
	if (si->rsdp_paddr)
		print("hello: ACPI RSDP at 0x%lx\n", si->rsdp_paddr);
	if (si->version >= 1)
		print("hello: %u memory map entries\n", si->memmap_entries);
	print("hello: running at CPL%u\n", read_cs() & 3);
}
