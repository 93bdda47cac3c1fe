/* Building the PVH boot information (struct hvm_start_info, module list,
 * memory map, command line) in guest RAM. See layout.h for where. */
#ifndef MKVM_BOOT_PVH_H
#define MKVM_BOOT_PVH_H

#include <stddef.h>
#include <stdint.h>

#include <mkvm/pvh.h>

#include "layout.h"

#define PVH_MAX_MEMMAP 8

/* The GDT the PVH entry state refers to (selectors 0x08 code, 0x10 data,
 * 0x18 TSS), written with the start info. */
#define PVH_GDT_ADDR   (BOOT_INFO_ADDR + 0xf00)
#define PVH_GDT_LIMIT  0x1f

struct pvh_boot {
	uint64_t ram_size;       /* --mem */
	const char *cmdline;     /* may be NULL */
	uint64_t module_addr;    /* 0: no module */
	uint64_t module_size;
	uint64_t rsdp_addr;
};

/* The e820-style map for ram_size bytes of RAM. Returns the entry count. */
int pvh__memmap(uint64_t ram_size, struct hvm_memmap_table_entry *e, int max);

/* Where a boot module of size bytes goes: page-aligned at the top of low
 * RAM, above kernel_end. Returns -1 when it does not fit. */
int pvh__place_module(uint64_t lowmem_size, uint64_t kernel_end, uint64_t size,
		      uint64_t *addr);

/* Writes start info, module list, memory map, command line and the entry
 * GDT into guest RAM (ram = host address of GPA 0). Returns the start
 * info's guest physical address, or 0 when the command line is too long. */
uint64_t pvh__write(uint8_t *ram, const struct pvh_boot *b);

#endif
