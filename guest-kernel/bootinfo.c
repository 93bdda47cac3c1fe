/* Copies what the kernel needs out of the PVH start info, or out of the
 * multiboot2 information when a multiboot2 loader (GRUB) started us; the
 * loader's memory may be handed out later. Runs on the boot page tables,
 * whose physmap covers the first GiB. */
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

static void add_ram(uint64_t addr, uint64_t size)
{
	uint64_t b = (addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t end = (addr + size) & ~(PAGE_SIZE - 1);
	if (end <= b || boot.nmem == ARRAY_SIZE(boot.mem))
		return;
	boot.mem[boot.nmem].base = b;
	boot.mem[boot.nmem].size = end - b;
	boot.nmem++;
	if (end > boot.mem_top)
		boot.mem_top = end;
}

#define MB2_BOOT_MAGIC 0x36d76289
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE  3
#define MB2_TAG_MMAP    6
#define MB2_TAG_ACPI1   14
#define MB2_TAG_ACPI2   15

/* Multiboot2 information: a size, then 8-byte aligned tags (type, size). */
static void multiboot2_parse(uint32_t info_pa)
{
	const uint32_t *hdr = boot_ptr(info_pa, 8);
	const uint8_t *p = (const uint8_t *)boot_ptr(info_pa, hdr[0]) + 8;
	const uint8_t *end = (const uint8_t *)hdr + hdr[0];
	while (p + 8 <= end) {
		uint32_t type = ((const uint32_t *)p)[0], size = ((const uint32_t *)p)[1];
		if (type == 0 || size < 8 || size > (uint64_t)(end - p))
			break;
		const uint32_t *w = (const uint32_t *)p;
		if (type == MB2_TAG_CMDLINE) {
			copy_cmdline(info_pa + (uint32_t)(p + 8 - (const uint8_t *)hdr));
		} else if (type == MB2_TAG_MODULE && !boot.module_size && size >= 16) {
			boot.module_paddr = w[2];
			boot.module_size = w[3] - w[2];
		} else if (type == MB2_TAG_MMAP && size >= 16 && w[2] >= 24) {
			for (uint32_t off = 16; off + 24 <= size; off += w[2]) {
				const uint64_t *e = (const uint64_t *)(p + off);
				if (*(const uint32_t *)(p + off + 16) == HVM_MEMMAP_TYPE_RAM)
					add_ram(e[0], e[1]);
			}
		} else if ((type == MB2_TAG_ACPI1 && !boot.rsdp) || type == MB2_TAG_ACPI2) {
			boot.rsdp = info_pa + (uint32_t)(p + 8 - (const uint8_t *)hdr); /* a copy of the RSDP */
		}
		p += (size + 7) & ~7u;
	}
}

void bootinfo_parse(uint32_t info_pa, uint32_t magic)
{
	if (magic == MB2_BOOT_MAGIC) {
		multiboot2_parse(info_pa);
		kprintf("boot: multiboot2, cmdline \"%s\", %d RAM ranges, top %lx, module %lx+%lx\n",
			boot.cmdline, boot.nmem, boot.mem_top, boot.module_paddr, boot.module_size);
		return;
	}
	if (magic)
		panic("unknown boot protocol (magic %x)", magic);
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
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (e[i].type == HVM_MEMMAP_TYPE_RAM)
			add_ram(e[i].addr, e[i].size);
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
