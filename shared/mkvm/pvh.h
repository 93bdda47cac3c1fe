/* The PVH boot protocol: what a PVH loader (mkvm, QEMU -kernel, Firecracker,
 * cloud-hypervisor) hands to the kernel, written from Xen's public
 * "hvm/start_info.h" and "elfnote.h" documentation.
 *
 * The kernel ELF carries a PT_NOTE with name "Xen" and type
 * XEN_ELFNOTE_PHYS32_ENTRY whose descriptor is the 32-bit physical entry
 * address. The loader enters there in 32-bit protected mode: flat 4 GiB
 * code (execute/read) and data (read/write) segments, CR0.PE=1, CR0.PG=0,
 * CR4=0, EFLAGS with IF=0, and %ebx = physical address of struct
 * hvm_start_info. Everything below lives in guest RAM below 4 GiB.
 *
 * Shared by the VMM (which builds these structures) and the guest kernel
 * (which reads them): all fields are little-endian, layouts are fixed. */
#ifndef MKVM_PVH_H
#define MKVM_PVH_H

#include <stdint.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_NOTE_NAME            "Xen"

#define HVM_START_MAGIC_VALUE 0x336ec578u
#define HVM_START_VERSION     1 /* version 1 has memmap_paddr/entries */

struct hvm_start_info {
	uint32_t magic;          /* HVM_START_MAGIC_VALUE */
	uint32_t version;        /* 1 */
	uint32_t flags;          /* SIF_* flags; mkvm sets none */
	uint32_t nr_modules;     /* entries at modlist_paddr */
	uint64_t modlist_paddr;  /* struct hvm_modlist_entry[nr_modules] */
	uint64_t cmdline_paddr;  /* NUL-terminated command line, or 0 */
	uint64_t rsdp_paddr;     /* ACPI RSDP, or 0 */
	uint64_t memmap_paddr;   /* struct hvm_memmap_table_entry[], v1 */
	uint32_t memmap_entries; /* v1 */
	uint32_t reserved;       /* must be zero */
};

struct hvm_modlist_entry {
	uint64_t paddr;          /* module start */
	uint64_t size;           /* module length in bytes */
	uint64_t cmdline_paddr;  /* NUL-terminated module command line, or 0 */
	uint64_t reserved;
};

/* Memory map entry types: the E820 / ACPI address range types. */
#define HVM_MEMMAP_TYPE_RAM      1
#define HVM_MEMMAP_TYPE_RESERVED 2
#define HVM_MEMMAP_TYPE_ACPI     3
#define HVM_MEMMAP_TYPE_NVS      4
#define HVM_MEMMAP_TYPE_UNUSABLE 5
#define HVM_MEMMAP_TYPE_DISABLED 6
#define HVM_MEMMAP_TYPE_PMEM     7

struct hvm_memmap_table_entry {
	uint64_t addr;           /* base address */
	uint64_t size;           /* length in bytes */
	uint32_t type;           /* HVM_MEMMAP_TYPE_* */
	uint32_t reserved;       /* must be zero */
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry layout");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry layout");

#endif
