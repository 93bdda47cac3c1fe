/* Address-space switches and TLB invalidation, with or without PCID.
 *
 * With PCID every space gets a 12-bit tag when it is first switched to.
 * Tags are handed out in order; when they run out the generation advances
 * and every space must get a new tag. The first CR3 load of a fresh tag
 * flushes it (bit 63 clear), so stale entries of a previous owner of the
 * tag never survive; later loads keep the tag's entries (bit 63 set).
 * Without PCID each switch is a plain, flushing CR3 load. Kernel pages are
 * global and survive either way. */
#include "kernel.h"

#define CR3_NOFLUSH (1ull << 63)
#define PCID_MAX 4095

static uint32_t pcid_gen = 1;
static uint16_t pcid_next = 1;   /* 0 is the kernel's boot tables */

/* "nopcid" on the command line forces the fallback (for comparisons). */
void pcid_init(void)
{
	if (feat.pcid && cmdline_has("nopcid")) {
		feat.pcid = feat.invpcid = false;
		kprintf("pcid: disabled by the command line, using CR3 reload\n");
		return;
	}
	if (feat.pcid) {
		write_cr4(read_cr4() | CR4_PCIDE);
		kprintf("pcid: enabled (%s)\n", feat.invpcid ? "invpcid" : "cr3 reload for flushes");
	} else {
		kprintf("pcid: not available, using CR3 reload\n");
	}
}

static void pcid_assign(struct space *s)
{
	if (pcid_next > PCID_MAX) {
		pcid_gen++;
		pcid_next = 1;
	}
	s->pcid = pcid_next++;
	s->pcid_gen = pcid_gen;
	s->needs_flush = true;
}

/* tlb_switch (kernel.h) with PCID. */
void tlb_switch_slow(struct space *s)
{
	this_cpu()->space = s;
	if (s->pcid_gen != pcid_gen)
		pcid_assign(s);
	uint64_t cr3 = s->pml4_phys | s->pcid;
	if (!s->needs_flush)
		cr3 |= CR3_NOFLUSH;
	s->needs_flush = false;
	write_cr3(cr3);
}

/* Loads the kernel-only tables (the current space is being destroyed). */
void tlb_switch_kernel(void)
{
	this_cpu()->space = NULL;
	write_cr3(kernel_pml4_phys);
}

/* Removes any TLB entry for va in s after its PTE was changed. */
void tlb_flush_page(struct space *s, uint64_t va)
{
	if (this_cpu()->space == s) {
		invlpg(va);
	} else if (feat.pcid && s->pcid_gen == pcid_gen) {
		if (feat.invpcid)
			invpcid(0, s->pcid, va);   /* individual address */
		else
			s->needs_flush = true;     /* flush the tag at the next switch */
	}
}

/* Removes every TLB entry for kernel address va after its PTE was changed,
 * whatever tag it was cached under. Kernel entries are global when the CPU
 * has PGE, and INVLPG removes a global entry for every PCID; without PGE
 * they are tagged like user entries, and every tag is flushed (INVPCID, or
 * a new generation: each space gets a fresh tag at its next switch). */
void tlb_flush_kernel_page(uint64_t va)
{
	invlpg(va);
	if (feat.pge || !feat.pcid)
		return;
	if (feat.invpcid) {
		invpcid(3, 0, 0);          /* all contexts, global entries aside */
	} else {
		pcid_gen++;
		pcid_next = 1;
	}
}
