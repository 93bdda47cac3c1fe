/* x86 page-table walk (Intel SDM vol. 3A, chapter 4 "Paging"). Only what a
 * debugger needs: presence and page size; permission bits are not checked,
 * as a debugger may look at pages the guest could not. */
#include "gdb/pgwalk.h"

#define CR0_PG		(1ull << 31)
#define CR4_PSE		(1ull << 4)
#define CR4_PAE		(1ull << 5)
#define CR4_LA57	(1ull << 12)
#define EFER_LMA	(1ull << 10)

#define PTE_P		(1ull << 0)
#define PTE_PS		(1ull << 7)
/* Physical-address bits of an entry or of CR3 (MAXPHYADDR up to 52). This
 * also drops CR3's PCID (bits 11:0) and any bit 63 a MOV CR3 carried. */
#define ADDR_MASK	0x000ffffffffff000ull

static bool walk__long(const struct pgwalk_mmu *mmu, uint64_t va,
		       pgwalk_read_fn read, void *ctx, uint64_t *gpa,
		       uint64_t *page_size)
{
	int levels = mmu->cr4 & CR4_LA57 ? 5 : 4;
	int vbits = 12 + 9 * levels;		/* 48 or 57 */
	int64_t sva = (int64_t)(va << (64 - vbits)) >> (64 - vbits);
	uint64_t table = mmu->cr3 & ADDR_MASK;

	if ((uint64_t)sva != va)
		return false;			/* not canonical */
	for (int level = levels; level >= 1; level--) {
		int shift = 12 + 9 * (level - 1);
		uint64_t idx = (va >> shift) & 511, pte;

		if (!read(ctx, table + idx * 8, 8, &pte) || !(pte & PTE_P))
			return false;
		/* PS means a leaf at level 2 (2 MiB) and 3 (1 GiB) only. */
		if (level == 1 || ((level == 2 || level == 3) && (pte & PTE_PS))) {
			uint64_t size = 1ull << shift;

			*gpa = (pte & ADDR_MASK & ~(size - 1)) | (va & (size - 1));
			if (page_size)
				*page_size = size;
			return true;
		}
		table = pte & ADDR_MASK;
	}
	return false;
}

static bool walk__pae(const struct pgwalk_mmu *mmu, uint64_t va,
		      pgwalk_read_fn read, void *ctx, uint64_t *gpa,
		      uint64_t *page_size)
{
	uint64_t pdpte, pde, pte;
	uint64_t pdpt = mmu->cr3 & 0xffffffe0ull;	/* 32-byte aligned */

	va &= 0xffffffffull;
	if (!read(ctx, pdpt + (va >> 30) * 8, 8, &pdpte) || !(pdpte & PTE_P))
		return false;
	if (!read(ctx, (pdpte & ADDR_MASK) + ((va >> 21) & 511) * 8, 8, &pde) ||
	    !(pde & PTE_P))
		return false;
	if (pde & PTE_PS) {
		*gpa = (pde & ADDR_MASK & ~0x1fffffull) | (va & 0x1fffff);
		if (page_size)
			*page_size = 1ull << 21;
		return true;
	}
	if (!read(ctx, (pde & ADDR_MASK) + ((va >> 12) & 511) * 8, 8, &pte) ||
	    !(pte & PTE_P))
		return false;
	*gpa = (pte & ADDR_MASK) | (va & 0xfff);
	if (page_size)
		*page_size = 1ull << 12;
	return true;
}

static bool walk__32(const struct pgwalk_mmu *mmu, uint64_t va,
		     pgwalk_read_fn read, void *ctx, uint64_t *gpa,
		     uint64_t *page_size)
{
	uint64_t pde, pte;

	va &= 0xffffffffull;
	if (!read(ctx, (mmu->cr3 & 0xfffff000ull) + (va >> 22) * 4, 4, &pde) ||
	    !(pde & PTE_P))
		return false;
	if ((pde & PTE_PS) && (mmu->cr4 & CR4_PSE)) {
		/* PSE-36: bits 20:13 of the PDE are physical bits 39:32. */
		uint64_t base = (pde & 0xffc00000ull) | ((pde >> 13) & 0xff) << 32;

		*gpa = base | (va & 0x3fffff);
		if (page_size)
			*page_size = 1ull << 22;
		return true;
	}
	if (!read(ctx, (pde & 0xfffff000ull) + ((va >> 12) & 1023) * 4, 4,
		  &pte) || !(pte & PTE_P))
		return false;
	*gpa = (pte & 0xfffff000ull) | (va & 0xfff);
	if (page_size)
		*page_size = 1ull << 12;
	return true;
}

bool pgwalk__translate(const struct pgwalk_mmu *mmu, uint64_t va,
		       pgwalk_read_fn read, void *ctx, uint64_t *gpa,
		       uint64_t *page_size)
{
	if (!(mmu->cr0 & CR0_PG)) {
		*gpa = va;
		if (page_size)
			*page_size = 1ull << 12;
		return true;
	}
	if (mmu->efer & EFER_LMA)
		return walk__long(mmu, va, read, ctx, gpa, page_size);
	if (mmu->cr4 & CR4_PAE)
		return walk__pae(mmu, va, read, ctx, gpa, page_size);
	return walk__32(mmu, va, read, ctx, gpa, page_size);
}
