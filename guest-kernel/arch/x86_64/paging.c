/* Page tables. The kernel half (PML4 slots 256..511) is built once here and
 * shared by every address space: the physmap (all RAM and the 4 GiB below,
 * RW, NX, global), the kernel-stack area (below) and the kernel image
 * mapped W^X with 4 KiB pages.
 * User halves are the cache of the mapping database (mapdb.c). */
#include "kernel.h"

extern char kernel_text_start[], kernel_rodata_start[], kernel_data_start[], kernel_end[];
uint64_t kernel_pml4_phys;
static uint64_t *kernel_pml4;

/* The kernel-stack area: the kernel uses a thread's stack only through its
 * slot here (struct tcb's kstack), never through the physmap. A slot is
 * KSTACK_SLOT bytes: the stack's pages, 4 KiB each, in the upper half, and
 * below them KSTACK_SIZE bytes that are never mapped, so a stack that runs
 * off its end faults at the first push past it (the CPU then fails to push
 * the #PF frame as well, and the #DF runs on its own IST stack; trap.c
 * names the thread). The area's page tables are made at boot: mapping a
 * stack needs no memory. */
#define KSTACK_SLOT (2 * KSTACK_SIZE)
#define KSTACK_PAGES (KSTACK_SIZE / PAGE_SIZE)
#define SLOTS_PER_PT (512 / (KSTACK_SLOT / PAGE_SIZE))
static uint64_t *kstack_pt[(KSTACK_SLOTS + SLOTS_PER_PT - 1) / SLOTS_PER_PT];
_Static_assert((KSTACK_AREA >> 39) == ((KSTACK_AREA + KSTACK_SLOTS * KSTACK_SLOT - 1) >> 39) &&
	       (KSTACK_AREA >> 39) != (KERNEL_VBASE >> 39), "the kernel-stack area has a PML4 slot of its own");

static uint64_t nx(void) { return feat.nx ? PTE_NX : 0; }
static uint64_t glob(void) { return feat.pge ? PTE_G : 0; }

static uint64_t *table_alloc(void)
{
	uint64_t *t = page_alloc();
	if (!t)
		panic("out of kernel memory for page tables");
	return t;
}

/* Returns the next-level table of entry *e, allocating it if asked (and
 * charging it to user space s, if given). */
static uint64_t *next_table(uint64_t *e, bool alloc, uint64_t flags, struct space *s)
{
	if (!(*e & PTE_P)) {
		if (!alloc || (s && !kmem_charge(s, 1)))
			return NULL;
		uint64_t *t = page_alloc();
		if (!t) {
			if (s)
				kmem_uncharge(s, 1);
			return NULL;
		}
		*e = V2P(t) | PTE_P | PTE_W | flags;
	}
	return P2V(*e & PTE_ADDR);
}

static void map_physmap(void)
{
	uint64_t top = boot.mem_top > (4ull << 30) ? boot.mem_top : (4ull << 30);
	for (uint64_t pa = 0; pa < top; pa += 2ull << 20) {
		uint64_t va = PHYSMAP_BASE + pa;
		uint64_t *pdpt = next_table(&kernel_pml4[(va >> 39) & 511], true, 0, NULL);
		uint64_t *pd = next_table(&pdpt[(va >> 30) & 511], true, 0, NULL);
		if (!pd)
			panic("out of kernel memory for the physmap");
		uint64_t attr = pa >= boot.mem_top || (pa >= (3ull << 30) && pa < (4ull << 30))
				? PTE_PCD | PTE_PWT : 0;   /* device memory: uncached */
		pd[(va >> 21) & 511] = pa | PTE_P | PTE_W | PTE_PS | attr | glob() | nx();
	}
}

static void map_kernel_image(void)
{
	for (uint64_t va = (uint64_t)kernel_text_start; va < (uint64_t)kernel_end; va += PAGE_SIZE) {
		uint64_t *pdpt = next_table(&kernel_pml4[(va >> 39) & 511], true, 0, NULL);
		uint64_t *pd = next_table(&pdpt[(va >> 30) & 511], true, 0, NULL);
		uint64_t *pt = next_table(&pd[(va >> 21) & 511], true, 0, NULL);
		if (!pt)
			panic("out of kernel memory for kernel page tables");
		uint64_t f = PTE_P | glob();
		if (va < (uint64_t)kernel_rodata_start)
			;                          /* text: read, execute */
		else if (va < (uint64_t)kernel_data_start)
			f |= nx();                 /* rodata */
		else
			f |= PTE_W | nx();         /* data, bss */
		pt[(va >> 12) & 511] = (va - KERNEL_VBASE) | f;
	}
}

static void map_kstack_area(void)
{
	for (uint64_t i = 0; i < ARRAY_SIZE(kstack_pt); i++) {
		uint64_t va = KSTACK_AREA + i * SLOTS_PER_PT * KSTACK_SLOT;
		uint64_t *pdpt = next_table(&kernel_pml4[(va >> 39) & 511], true, 0, NULL);
		uint64_t *pd = next_table(&pdpt[(va >> 30) & 511], true, 0, NULL);
		kstack_pt[i] = next_table(&pd[(va >> 21) & 511], true, 0, NULL);
		if (!kstack_pt[i])
			panic("out of kernel memory for the kernel-stack area");
	}
}

/* The PTE of slot's first stack page; the others follow it. */
static uint64_t *kstack_pte(unsigned slot)
{
	return &kstack_pt[slot / SLOTS_PER_PT][slot % SLOTS_PER_PT * 2 * KSTACK_PAGES + KSTACK_PAGES];
}

static uint64_t kstack_va(unsigned slot)
{
	return KSTACK_AREA + (uint64_t)slot * KSTACK_SLOT + KSTACK_SIZE;
}

/* Maps the KSTACK_SIZE bytes at stack (a physmap address) into slot, which
 * must be empty; returns the address the kernel uses for them. */
void *kstack_map(unsigned slot, void *stack)
{
	uint64_t *pte = kstack_pte(slot);
	if (pte[0] & PTE_P)
		panic("kernel stack slot %u is in use", slot);
	for (uint64_t i = 0; i < KSTACK_PAGES; i++)
		pte[i] = (V2P(stack) + i * PAGE_SIZE) | PTE_P | PTE_W | glob() | nx();
	return (void *)kstack_va(slot);
}

/* Empties slot (no CPU may still reach its pages through it) and returns
 * the physmap address of the stack it held. */
void *kstack_unmap(unsigned slot)
{
	uint64_t *pte = kstack_pte(slot);
	void *stack = P2V(pte[0] & PTE_ADDR);
	for (uint64_t i = 0; i < KSTACK_PAGES; i++) {
		pte[i] = 0;
		tlb_flush_kernel_page(kstack_va(slot) + i * PAGE_SIZE);
	}
	return stack;
}

int kstack_guard_slot(uint64_t va)
{
	uint64_t off = va - KSTACK_AREA;
	if (va < KSTACK_AREA || off >= KSTACK_SLOTS * KSTACK_SLOT || off % KSTACK_SLOT >= KSTACK_SIZE)
		return -1;
	return (int)(off / KSTACK_SLOT);
}

void paging_init(void)
{
	kernel_pml4 = table_alloc();
	/* pre-create every kernel-half PDPT so later kernel mappings are seen
	 * by all spaces, which copy only the PML4 slots */
	for (int i = 256; i < 512; i++)
		kernel_pml4[i] = V2P(table_alloc()) | PTE_P | PTE_W;
	map_physmap();
	map_kstack_area();
	map_kernel_image();
	kernel_pml4_phys = V2P(kernel_pml4);
	write_cr3(kernel_pml4_phys);
	kprintf("paging: physmap, guarded kernel stacks and W^X kernel image (nx=%d, global=%d)\n",
		feat.nx, feat.pge);
}

/* Returns the PTE of va in s (a user address), or NULL if a table is
 * missing and alloc is false (or memory ran out). */
uint64_t *pte_walk(struct space *s, uint64_t va, bool alloc)
{
	uint64_t *t = s->pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		t = next_table(&t[(va >> shift) & 511], alloc, PTE_U, s);
		if (!t)
			return NULL;
	}
	return &t[(va >> 12) & 511];
}

struct space *space_alloc_tables(struct space *s)
{
	s->pml4 = page_alloc();
	if (!s->pml4)
		return NULL;
	memcpy(&s->pml4[256], &kernel_pml4[256], 256 * sizeof(uint64_t));
	s->pml4_phys = V2P(s->pml4);
	return s;
}

/* Frees table t of the given level (1: a leaf) and all below it; a leaf's
 * companion page of mapping nodes (mapdb.c) goes with it. */
static void free_level(struct space *s, uint64_t *t, int level)
{
	if (level > 1)
		for (int i = 0; i < 512; i++)
			if (t[i] & PTE_P)
				free_level(s, P2V(t[i] & PTE_ADDR), level - 1);
	if (level == 1 && *mem_page_meta(t)) {
		page_free((void *)*mem_page_meta(t));
		kmem_uncharge(s, 1);
	}
	page_free(t);
	kmem_uncharge(s, 1);
}

/* Frees the user half's tables (the mappings must be gone already). */
void space_free_tables(struct space *s)
{
	for (int i = 0; i < 256; i++)
		if (s->pml4[i] & PTE_P)
			free_level(s, P2V(s->pml4[i] & PTE_ADDR), 3);
	page_free(s->pml4);
}
