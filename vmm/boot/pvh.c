#include <string.h>

#include "boot/pvh.h"
#include "layout.h"

#define PAGE_SIZE 4096ull

static int add(struct hvm_memmap_table_entry *e, int n, int max,
	       uint64_t addr, uint64_t size, uint32_t type)
{
	if (n < max && size)
		e[n++] = (struct hvm_memmap_table_entry){ addr, size, type, 0 };
	return n;
}

int pvh__memmap(uint64_t ram_size, struct hvm_memmap_table_entry *e, int max)
{
	uint64_t low = ram_size < MEM_HOLE_START ? ram_size : MEM_HOLE_START;
	int n = 0;

	n = add(e, n, max, 0, LOW_RAM_END, HVM_MEMMAP_TYPE_RAM);
	n = add(e, n, max, ACPI_ADDR, ACPI_SIZE, HVM_MEMMAP_TYPE_ACPI);
	n = add(e, n, max, SMBIOS_ADDR, SMBIOS_SIZE, HVM_MEMMAP_TYPE_RESERVED);
	n = add(e, n, max, HIGH_RAM_START, low - HIGH_RAM_START, HVM_MEMMAP_TYPE_RAM);
	n = add(e, n, max, PCI_ECAM_START, PCI_ECAM_SIZE, HVM_MEMMAP_TYPE_RESERVED);
	n = add(e, n, max, HIGH_MEM_START, ram_size - low, HVM_MEMMAP_TYPE_RAM);
	return n;
}

int pvh__place_module(uint64_t lowmem_size, uint64_t kernel_end, uint64_t size,
		      uint64_t *addr)
{
	uint64_t top = lowmem_size & ~(PAGE_SIZE - 1);
	uint64_t bottom = (kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	if (bottom < HIGH_RAM_START)
		bottom = HIGH_RAM_START;
	if (size > top || top - size < bottom)
		return -1;
	*addr = (top - size) & ~(PAGE_SIZE - 1);
	return 0;
}

static void write_gdt(uint8_t *ram)
{
	const uint64_t gdt[4] = {
		0,
		0x00cf9b000000ffffull,   /* 0x08: flat 32-bit code, execute/read */
		0x00cf93000000ffffull,   /* 0x10: flat 32-bit data, read/write */
		0x00008b0000000067ull,   /* 0x18: 32-bit TSS at 0, busy */
	};

	memcpy(ram + PVH_GDT_ADDR, gdt, sizeof(gdt));
}

uint64_t pvh__write(uint8_t *ram, const struct pvh_boot *b)
{
	struct hvm_start_info *si = (void *)(ram + BOOT_INFO_ADDR);
	struct hvm_modlist_entry *mod = (void *)(si + 1);
	struct hvm_memmap_table_entry *map = (void *)(mod + 1);
	size_t cmdlen = b->cmdline ? strlen(b->cmdline) : 0;

	if (cmdlen >= BOOT_CMDLINE_MAX)
		return 0;
	memset(ram + BOOT_INFO_ADDR, 0, BOOT_INFO_SIZE);
	*si = (struct hvm_start_info){
		.magic = HVM_START_MAGIC_VALUE,
		.version = HVM_START_VERSION,
		.rsdp_paddr = b->rsdp_addr,
		.memmap_paddr = BOOT_INFO_ADDR + (uint64_t)((uint8_t *)map - (uint8_t *)si),
		.memmap_entries = (uint32_t)pvh__memmap(b->ram_size, map, PVH_MAX_MEMMAP),
	};
	if (b->module_addr) {
		*mod = (struct hvm_modlist_entry){ b->module_addr, b->module_size, 0, 0 };
		si->nr_modules = 1;
		si->modlist_paddr = BOOT_INFO_ADDR + sizeof(*si);
	}
	if (b->cmdline) {
		memcpy(ram + BOOT_CMDLINE_ADDR, b->cmdline, cmdlen + 1);
		si->cmdline_paddr = BOOT_CMDLINE_ADDR;
	}
	write_gdt(ram);
	return BOOT_INFO_ADDR;
}
