/* Kernel memory: one contiguous pool of RAM reserved at boot for page
 * tables, stacks, UTCBs and the mapping database. Every other RAM frame
 * (except the kernel image) belongs to sigma0. */
#include "kernel.h"

#define KPOOL_MIN_BASE (16ull << 20) /* below: kernel image, boot task images */

extern char kernel_end[];
uint64_t kpool_base, kpool_end;
static uint64_t kpool_next;    /* bump pointer */
static void *free_list;        /* freed pages, linked through their first word */

static bool overlaps(uint64_t b, uint64_t e, uint64_t b2, uint64_t e2)
{
	return b < e2 && b2 < e;
}

void mem_init(void)
{
	uint64_t want = boot.mem_top / 8;
	if (want < (8ull << 20))
		want = 8ull << 20;
	if (want > (64ull << 20))
		want = 64ull << 20;
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
	kpool_next = kpool_base;
	kprintf("mem: kernel pool %lx-%lx (%lu MiB)\n", kpool_base, kpool_end, want >> 20);
}

void *page_alloc(void)
{
	void *p;
	if (free_list) {
		p = free_list;
		free_list = *(void **)p;
	} else if (kpool_next < kpool_end) {
		p = P2V(kpool_next);
		kpool_next += PAGE_SIZE;
	} else {
		return NULL;
	}
	memset(p, 0, PAGE_SIZE);
	return p;
}

/* n contiguous zeroed pages from the never-used part of the pool. */
void *pages_alloc(uint64_t n)
{
	if (kpool_end - kpool_next < n * PAGE_SIZE)
		return NULL;
	void *p = P2V(kpool_next);
	kpool_next += n * PAGE_SIZE;
	memset(p, 0, n * PAGE_SIZE);
	return p;
}

void page_free(void *p)
{
	*(void **)p = free_list;
	free_list = p;
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
	uint64_t kend = (uint64_t)kernel_end - KERNEL_VBASE, page = pa & ~(PAGE_SIZE - 1);
	if (pa < (1ull << 20) || pa >= mem_phys_top() || overlaps(pa, pa + 1, 1ull << 20, kend) ||
	    overlaps(pa, pa + 1, kpool_base, kpool_end) || page == ioapic_phys ||
	    page == (rdmsr(MSR_APIC_BASE) & ~0xfffull & 0xffffffffff000ull))
		return false;
	return true;
}
