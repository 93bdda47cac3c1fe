/* Kernel memory: one contiguous pool of RAM reserved at boot for page
 * tables, stacks, UTCBs and the mapping database. Every other RAM frame
 * (except the kernel image) belongs to sigma0.
 *
 * The pool is a bitmap, one bit per page (set = in use): freed pages and
 * freed multi-page blocks go back to it, so the kernel recovers from an
 * exhaustion as soon as memory is released. Blocks of n pages are aligned
 * to n, which keeps kernel stacks (4 pages) and I/O bitmaps (2) from being
 * split by single pages. A search scans at most the whole bitmap (2 KiB). */
#include "kernel.h"

#define KPOOL_MIN_BASE (16ull << 20) /* below: kernel image, boot task images */
#define KPOOL_MAX (64ull << 20)
#define KPOOL_PAGES (KPOOL_MAX / PAGE_SIZE)

extern char kernel_end[];
uint64_t kpool_base, kpool_end;
static uint64_t used[KPOOL_PAGES / 64];
static uint64_t meta[KPOOL_PAGES];
static uint64_t npages, hint;  /* pages in the pool; where single pages are sought first */

static bool overlaps(uint64_t b, uint64_t e, uint64_t b2, uint64_t e2)
{
	return b < e2 && b2 < e;
}

void mem_init(void)
{
	uint64_t want = boot.mem_top / 8;
	if (want < (8ull << 20))
		want = 8ull << 20;
	if (want > KPOOL_MAX)
		want = KPOOL_MAX;
	want &= ~((1ull << 20) - 1);
	uint64_t mb = boot.module_paddr & ~(PAGE_SIZE - 1);
	uint64_t me = boot.module_paddr + boot.module_size;
	for (int i = 0; i < boot.nmem && !kpool_base; i++) {
		uint64_t b = boot.mem[i].base, e = b + boot.mem[i].size;
		if (b < KPOOL_MIN_BASE)
			b = KPOOL_MIN_BASE;
		/* the pool must lie in the boot physmap (first GiB) */
		for (; b + want <= e && b + want <= (1ull << 30); b += 1ull << 20) {
			if (!overlaps(b, b + want, mb, me)) {
				kpool_base = b;
				break;
			}
		}
	}
	if (!kpool_base)
		panic("no room for a %lu MiB kernel pool", want >> 20);
	kpool_end = kpool_base + want;
	npages = want / PAGE_SIZE;
	kprintf("mem: kernel pool %lx-%lx (%lu MiB)\n", kpool_base, kpool_end, want >> 20);
}

static bool page_used(uint64_t i) { return used[i / 64] & (1ull << (i % 64)); }

static void mark(uint64_t first, uint64_t n, bool in_use)
{
	for (uint64_t i = first; i < first + n; i++) {
		if (in_use)
			used[i / 64] |= 1ull << (i % 64);
		else
			used[i / 64] &= ~(1ull << (i % 64));
	}
}

/* A free page, searched from the hint on: page index, or npages. */
static uint64_t find_page(void)
{
	for (uint64_t k = 0, w = hint / 64; k < npages / 64; k++, w = (w + 1) % (npages / 64))
		if (~used[w])
			return w * 64 + __builtin_ctzll(~used[w]);
	return npages;
}

/* The first n free pages starting at a multiple of n, or npages. */
static uint64_t find_block(uint64_t n)
{
	for (uint64_t i = 0; i + n <= npages; i += n) {
		if (64 % n == 0 && used[i / 64] == ~0ull) {
			i = (i / 64 + 1) * 64 - n;   /* skip a full word */
			continue;
		}
		uint64_t k = 0;
		while (k < n && !page_used(i + k))
			k++;
		if (k == n)
			return i;
	}
	return npages;
}

/* n contiguous zeroed pages, NULL if the pool has none. */
void *pages_alloc(uint64_t n)
{
	uint64_t i = n == 0 ? npages : n == 1 ? find_page() : find_block(n);
	if (i >= npages)
		return NULL;
	mark(i, n, true);
	memset(&meta[i], 0, n * sizeof(meta[0]));
	if (n == 1)
		hint = i;
	void *p = P2V(kpool_base + i * PAGE_SIZE);
	memset(p, 0, n * PAGE_SIZE);
	return p;
}

void pages_free(void *p, uint64_t n)
{
	mark((V2P(p) - kpool_base) / PAGE_SIZE, n, false);
}

/* One word of bookkeeping per pool page for whoever owns the page (a leaf
 * page table's companion page of mapping nodes, mapdb.c); zero when the
 * page is allocated. */
uint64_t *mem_page_meta(void *page)
{
	return &meta[(V2P(page) - kpool_base) / PAGE_SIZE];
}

void *page_alloc(void)
{
	return pages_alloc(1);
}

void page_free(void *p)
{
	pages_free(p, 1);
}

bool mem_is_ram(uint64_t pa)
{
	for (int i = 0; i < boot.nmem; i++)
		if (pa >= boot.mem[i].base && pa < boot.mem[i].base + boot.mem[i].size)
			return true;
	return false;
}

/* End of what the mapping database covers: RAM and the 32-bit device hole. */
uint64_t mem_phys_top(void)
{
	return boot.mem_top > (4ull << 30) ? boot.mem_top : (4ull << 30);
}

/* Sigma0 owns every frame except the first MiB, the kernel image, the
 * kernel pool and the kernel's own devices (local APIC, IOAPIC): RAM and
 * device memory (PCI ECAM, BARs, ACPI tables) alike. */
bool mem_is_sigma0_frame(uint64_t pa)
{
	uint64_t page = pa & ~(PAGE_SIZE - 1);
	return mem_next_sigma0_frame(page, page + 1) == page;
}

/* The first frame at or above pa, below end, that sigma0 owns; end if none.
 * It jumps over each range sigma0 does not own, so it takes a few steps
 * however far apart pa and end are. */
uint64_t mem_next_sigma0_frame(uint64_t pa, uint64_t end)
{
	uint64_t low = ((uint64_t)kernel_end - KERNEL_VBASE + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (low < (1ull << 20))
		low = 1ull << 20;
	pa &= ~(PAGE_SIZE - 1);
	while (pa < end && pa < mem_phys_top()) {
		if (pa < low)
			pa = low;                /* the first MiB and the kernel image */
		else if (pa >= kpool_base && pa < kpool_end)
			pa = kpool_end;
		else if (pa == ioapic_phys || pa == lapic_phys)
			pa += PAGE_SIZE;
		else
			return pa;
	}
	return end;
}
