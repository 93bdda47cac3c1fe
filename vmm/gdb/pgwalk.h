/* Guest-virtual to guest-physical translation by walking the guest's own
 * page tables, as the MMU of the vCPU whose control registers are given
 * would: no paging, 32-bit (with 4 MiB pages), PAE, 4- and 5-level long
 * mode with 2 MiB / 1 GiB pages. CR3's PCID and flag bits are ignored. */
#ifndef MKVM_GDB_PGWALK_H
#define MKVM_GDB_PGWALK_H

#include <stdbool.h>
#include <stdint.h>

struct pgwalk_mmu {
	uint64_t cr0, cr3, cr4, efer;
};

/* Reads a naturally aligned 8-byte (or, for 32-bit tables, 4-byte, zero
 * extended) guest-physical word; false if gpa is not guest RAM. */
typedef bool (*pgwalk_read_fn)(void *ctx, uint64_t gpa, unsigned size,
			       uint64_t *val);

/* Translates va; on success stores the physical address in *gpa and, if
 * page_size is not NULL, the size of the page that maps it. Returns false
 * for a non-canonical address, a non-present entry, or an unreadable table. */
bool pgwalk__translate(const struct pgwalk_mmu *mmu, uint64_t va,
		       pgwalk_read_fn read, void *ctx, uint64_t *gpa,
		       uint64_t *page_size);

#endif
