/* Boot information: memory map, module placement, hvm_start_info. */
#include <stdlib.h>
#include <string.h>

#include "boot/pvh.h"
#include "layout.h"
#include "unit.h"

static uint64_t ram_total(const struct hvm_memmap_table_entry *e, int n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		if (e[i].type == HVM_MEMMAP_TYPE_RAM)
			sum += e[i].size;
	return sum;
}

TEST(vmm_pvh_memmap_small)
{
	struct hvm_memmap_table_entry e[PVH_MAX_MEMMAP];
	int n = pvh__memmap(256ull << 20, e, PVH_MAX_MEMMAP);

	REQUIRE(n == 5);
	CHECK(e[0].addr == 0 && e[0].size == LOW_RAM_END && e[0].type == HVM_MEMMAP_TYPE_RAM);
	CHECK(e[1].addr == ACPI_ADDR && e[1].type == HVM_MEMMAP_TYPE_ACPI);
	CHECK(e[2].addr == SMBIOS_ADDR && e[2].addr + e[2].size == HIGH_RAM_START &&
	      e[2].type == HVM_MEMMAP_TYPE_RESERVED);
	CHECK(e[3].addr == HIGH_RAM_START && e[3].addr + e[3].size == 256ull << 20);
	CHECK(e[4].addr == PCI_ECAM_START && e[4].type == HVM_MEMMAP_TYPE_RESERVED);
	/* Sorted, non-overlapping, reserved fields zero. */
	for (int i = 1; i < n; i++)
		CHECK(e[i - 1].addr + e[i - 1].size <= e[i].addr);
	for (int i = 0; i < n; i++)
		CHECK(e[i].reserved == 0);
	/* RAM the guest sees = --mem minus the legacy hole 640K..1M. */
	CHECK(ram_total(e, n) == (256ull << 20) - (HIGH_RAM_START - LOW_RAM_END));
}

TEST(vmm_pvh_memmap_above_4g)
{
	struct hvm_memmap_table_entry e[PVH_MAX_MEMMAP];
	uint64_t mem = 6ull << 30;
	int n = pvh__memmap(mem, e, PVH_MAX_MEMMAP);

	REQUIRE(n == 6);
	CHECK(e[3].addr + e[3].size == MEM_HOLE_START);
	CHECK(e[5].addr == HIGH_MEM_START && e[5].size == mem - MEM_HOLE_START);
	CHECK(ram_total(e, n) == mem - (HIGH_RAM_START - LOW_RAM_END));
}

TEST(vmm_pvh_module_placement)
{
	uint64_t a;

	REQUIRE(pvh__place_module(64ull << 20, 0x200000, 12345, &a) == 0);
	CHECK(a % 4096 == 0 && a + 12345 <= 64ull << 20 && a >= 0x200000);
	CHECK(a + 12345 > (64ull << 20) - 8192);               /* at the top */
	CHECK(pvh__place_module(64ull << 20, 0x200000, 63ull << 20, &a) < 0);
	CHECK(pvh__place_module(64ull << 20, 60ull << 20, 5ull << 20, &a) < 0);
	CHECK(pvh__place_module(64ull << 20, 0x100000, ~0ull, &a) < 0);
}

TEST(vmm_pvh_start_info)
{
	uint8_t *ram = calloc(1, 0x10000);
	struct pvh_boot b = { .ram_size = 128ull << 20, .cmdline = "console=ttyS0",
			      .module_addr = 0x7000000, .module_size = 4321,
			      .rsdp_addr = ACPI_ADDR };

	REQUIRE(ram);
	uint64_t si_addr = pvh__write(ram, &b);
	REQUIRE(si_addr == BOOT_INFO_ADDR);
	struct hvm_start_info *si = (void *)(ram + si_addr);

	CHECK(si->magic == HVM_START_MAGIC_VALUE && si->version == 1);
	CHECK(si->rsdp_paddr == ACPI_ADDR);
	CHECK(si->cmdline_paddr == BOOT_CMDLINE_ADDR);
	CHECK(!strcmp((char *)ram + si->cmdline_paddr, "console=ttyS0"));
	REQUIRE(si->nr_modules == 1);
	struct hvm_modlist_entry *m = (void *)(ram + si->modlist_paddr);

	CHECK(m->paddr == 0x7000000 && m->size == 4321);
	REQUIRE(si->memmap_entries == 5);
	struct hvm_memmap_table_entry *e = (void *)(ram + si->memmap_paddr);

	CHECK(e[0].type == HVM_MEMMAP_TYPE_RAM && e[3].addr == HIGH_RAM_START);
	/* Everything inside the boot info page. */
	CHECK(si->memmap_paddr + 5 * sizeof(*e) <= BOOT_INFO_ADDR + BOOT_INFO_SIZE);

	char *long_cmdline = malloc(BOOT_CMDLINE_MAX + 1);

	REQUIRE(long_cmdline);
	memset(long_cmdline, 'a', BOOT_CMDLINE_MAX);
	long_cmdline[BOOT_CMDLINE_MAX] = 0;
	b.cmdline = long_cmdline;
	CHECK(pvh__write(ram, &b) == 0);
	b.cmdline = NULL;
	b.module_addr = 0;
	REQUIRE(pvh__write(ram, &b) == BOOT_INFO_ADDR);
	CHECK(si->cmdline_paddr == 0 && si->nr_modules == 0 && si->modlist_paddr == 0);
	free(long_cmdline);
	free(ram);
}
