/* Copies what the kernel needs out of the PVH start info (the loader's
 * memory may be handed out later). Runs on the boot page tables, whose
 * physmap covers the first GiB. */
#include <mkvm/pvh.h>
#include "kernel.h"

struct bootinfo boot;

static void *boot_ptr(uint64_t pa, uint64_t len)
{
	if (pa + len < pa || pa + len > (1ull << 30))
		panic("boot info at %lx is beyond the first GiB", pa);
	return P2V(pa);
}

static void copy_cmdline(uint64_t pa)
{
	if (!pa)
		return;
	const char *s = boot_ptr(pa, 1);
	size_t i;
	for (i = 0; i < sizeof(boot.cmdline) - 1 && s[i]; i++)
		boot.cmdline[i] = s[i];
	boot.cmdline[i] = 0;
}

void bootinfo_parse(uint32_t info_pa, uint32_t magic)
{
	if (magic)
		panic("booted through multiboot2 (magic %x): only the PVH entry is implemented", magic);
	const struct hvm_start_info *si = boot_ptr(info_pa, sizeof(*si));
	if (si->magic != HVM_START_MAGIC_VALUE)
		panic("bad hvm_start_info magic %x", si->magic);
	if (si->version < 1 || !si->memmap_paddr)
		panic("hvm_start_info version %u has no memory map", si->version);
	copy_cmdline(si->cmdline_paddr);
	boot.rsdp = si->rsdp_paddr;
	if (si->nr_modules >= 1) {
		const struct hvm_modlist_entry *m = boot_ptr(si->modlist_paddr, sizeof(*m));
		boot.module_paddr = m->paddr;
		boot.module_size = m->size;
	}
	const struct hvm_memmap_table_entry *e =
		boot_ptr(si->memmap_paddr, si->memmap_entries * sizeof(*e));
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (e[i].type != HVM_MEMMAP_TYPE_RAM || boot.nmem == ARRAY_SIZE(boot.mem))
			continue;
		uint64_t b = (e[i].addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		uint64_t end = (e[i].addr + e[i].size) & ~(PAGE_SIZE - 1);
		if (end <= b)
			continue;
		boot.mem[boot.nmem].base = b;
		boot.mem[boot.nmem].size = end - b;
		boot.nmem++;
		if (end > boot.mem_top)
			boot.mem_top = end;
	}
	kprintf("boot: cmdline \"%s\", %d RAM ranges, top %lx, module %lx+%lx, rsdp %lx\n",
		boot.cmdline, boot.nmem, boot.mem_top, boot.module_paddr, boot.module_size, boot.rsdp);
}

/* Is word one of the blank-separated words of the command line? */
bool cmdline_has(const char *word)
{
	size_t n = strlen(word);
	for (const char *p = boot.cmdline; *p; p++)
		if ((p == boot.cmdline || p[-1] == ' ') && !strncmp(p, word, n) &&
		    (p[n] == 0 || p[n] == ' '))
			return true;
	return false;
}
