/* Address spaces: creation and destruction, flexpage map/grant items and
 * unmap (delegated page by page to the mapping database), I/O-port
 * flexpages (the TSS I/O bitmap), and safe reads of user memory. */
#include "kernel.h"

#define MAX_SPACES MAX_THREADS
struct space spaces[MAX_SPACES];   /* also described by kdebug.c */
static bool space_used[MAX_SPACES];

struct space *space_create(void)
{
	for (int i = 0; i < MAX_SPACES; i++) {
		if (space_used[i])
			continue;
		struct space *s = &spaces[i];
		memset(s, 0, sizeof(*s));
		if (!space_alloc_tables(s))
			return NULL;
		space_used[i] = true;
		return s;
	}
	return NULL;
}

bool kmem_charge(struct space *s, unsigned pages)
{
	for (struct space *t = s; t; t = t->owner)
		if (t->kmem_limit && t->kmem + pages > t->kmem_limit)
			return false;
	for (struct space *t = s; t; t = t->owner)
		t->kmem += pages;
	return true;
}

void kmem_uncharge(struct space *s, unsigned pages)
{
	for (struct space *t = s; t; t = t->owner)
		t->kmem -= pages < t->kmem ? pages : t->kmem;
}

/* Frees s; the spaces it created now belong to its creator, whose count
 * already holds theirs. */
void space_destroy(struct space *s)
{
	mapdb_space_destroy(s, NULL);
	if (this_cpu()->space == s)
		tlb_switch_kernel();
	space_free_tables(s);
	if (s->iobitmap) {
		pages_free(s->iobitmap, 2);
		kmem_uncharge(s, 2);
	}
	kmem_uncharge(s, s->kmem);
	for (int i = 0; i < MAX_SPACES; i++)
		if (space_used[i] && spaces[i].owner == s)
			spaces[i].owner = s->owner;
	if (this_cpu()->io_loaded == s)
		this_cpu()->io_loaded = NULL;
	space_used[s - spaces] = false;
}

/* Gives s an I/O bitmap (all ports denied) if it has none. */
static bool iobitmap_get(struct space *s)
{
	if (s->iobitmap)
		return true;
	if (!kmem_charge(s, 2))
		return false;
	s->iobitmap = pages_alloc(2);
	if (!s->iobitmap) {
		kmem_uncharge(s, 2);
		return false;
	}
	memset(s->iobitmap, 0xff, 8192);
	return true;
}

static bool io_allowed(struct space *s, unsigned port)
{
	return s->iobitmap && !(s->iobitmap[port / 8] & (1u << (port % 8)));
}

static int io_fpage(struct space *from, uint64_t fpage, struct space *to, bool grant, bool revoke)
{
	unsigned s = L4_FPAGE_SIZE(fpage), port = L4_FPAGE_PORT(fpage);
	if (s > 16 || (port & ((1u << s) - 1)) || port + (1u << s) > 65536)
		return L4_EMSG;
	if (!revoke && !iobitmap_get(to))
		return L4_ENOMEM;
	for (unsigned p = port; p < port + (1u << s); p++) {
		if (revoke) {
			if (from->iobitmap)
				from->iobitmap[p / 8] |= 1u << (p % 8);
		} else if (io_allowed(from, p)) {
			to->iobitmap[p / 8] &= ~(1u << (p % 8));
			if (grant && from != to)
				from->iobitmap[p / 8] |= 1u << (p % 8);
		}
	}
	this_cpu()->io_loaded = NULL;   /* reload the TSS copy */
	cpu_load_iobitmap(this_cpu()->current->space);
	return L4_OK;
}

/* Next address >= va (below end) that may hold a mapping in s: skips
 * whole missing page-table subtrees; sigma0's space is dense over the
 * frames it owns. */
static uint64_t next_candidate(struct space *s, uint64_t va, uint64_t end)
{
	if (s->sigma0)
		return mem_next_sigma0_frame(va, end);
	while (va < end) {
		uint64_t *t = s->pml4, size = 0;
		for (int shift = 39; shift >= 12; shift -= 9) {
			uint64_t e = t[(va >> shift) & 511];
			if (!(e & PTE_P)) {
				size = 1ull << shift;
				break;
			}
			if (shift == 12)
				return va;
			t = P2V(e & PTE_ADDR);
		}
		va = (va & ~(size - 1)) + size;
	}
	return end;
}

static bool fpage_valid(uint64_t fpage, uint64_t *base, unsigned *size)
{
	*size = L4_FPAGE_SIZE(fpage);
	*base = L4_FPAGE_BASE(fpage);
	return *size >= 12 && *size <= 47 && !(*base & ((1ull << *size) - 1)) &&
	       *base + (1ull << *size) <= L4_USER_TOP + PAGE_SIZE;
}

/* Processes one map/grant item from `from` to `to` with the receiver's
 * acceptor fpage; the L4 "hot spot" rule picks which part of the larger
 * of the two fpages is used. */
int space_map_fpage(struct tcb *from, uint64_t item0, uint64_t fpage, struct tcb *to, uint64_t acceptor)
{
	unsigned type = item0 & 0xf;
	if (type != L4_ITEM_MAP && type != L4_ITEM_GRANT)
		return L4_EMSG;
	bool grant = type == L4_ITEM_GRANT;
	if (fpage == 0)
		return L4_OK;
	if (L4_FPAGE_IS_IO(fpage))
		return io_fpage(from->space, fpage, to->space, grant, false);
	uint64_t sbase, abase;
	unsigned ssize, asize, key = L4_ITEM_KEY_OF(item0), rights = L4_FPAGE_RIGHTS(fpage);
	if (!fpage_valid(fpage, &sbase, &ssize) || !fpage_valid(acceptor, &abase, &asize))
		return L4_EMSG;
	if (key && !feat.pku)
		return L4_EMSG;
	/* a zoned space's code was checked by its pager (no instruction that
	 * changes PKRU outside its gates): no other space, nor the space
	 * itself, may add executable pages */
	if (to->space->zoned && (from->space == to->space || !space_controls(from->space, to->space)))
		rights &= ~L4_X;
	if (ssize > L4_MAP_MAX_LOG2 && asize > L4_MAP_MAX_LOG2)
		return L4_EMSG;              /* bounded work per item */
	uint64_t hot = item0 & ~0xfffull, src, dst, len;
	if (ssize <= asize) {
		src = sbase;
		dst = abase + (hot & ((1ull << asize) - 1) & ~((1ull << ssize) - 1));
		len = 1ull << ssize;
	} else {
		src = sbase + (hot & ((1ull << ssize) - 1) & ~((1ull << asize) - 1));
		dst = abase;
		len = 1ull << asize;
	}
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		off = next_candidate(from->space, src + off, src + len) - src;
		if (off >= len)
			break;
		int err = mapdb_map(from->space, src + off, to->space, dst + off, rights, key, grant);
		if (err)
			return err;
	}
	return L4_OK;
}

/* Unmaps fpage from *resume on (0: from its start), stopping at preemption
 * points: then *resume is where to continue and the result
 * SYSCALL_RESTART; at the end *resume is 0. */
int space_unmap_fpage(struct space *s, uint64_t fpage, bool self, uint64_t *resume)
{
	if (L4_FPAGE_IS_IO(fpage))
		return self ? io_fpage(s, fpage, NULL, false, true) : L4_OK;
	uint64_t base;
	unsigned size;
	if (!fpage_valid(fpage, &base, &size))
		return L4_EINVAL;
	uint64_t end = base + (1ull << size), va = base;
	if (*resume > base && *resume < end)
		va = *resume & ~(PAGE_SIZE - 1);
	unsigned work = 0;
	for (; (va = next_candidate(s, va, end)) < end; va += PAGE_SIZE) {
		if (!mapdb_unmap(s, va, L4_FPAGE_RIGHTS(fpage), self, &work) ||
		    (++work % PREEMPT_EVERY == 0 && sched_preempt_point())) {
			*resume = va;        /* this page again: idempotent */
			return SYSCALL_RESTART;
		}
	}
	*resume = 0;
	return L4_OK;
}

/* Maps a kernel page (UTCB, boot info) into user space, outside the
 * mapping database: no map, grant or unmap can touch it. */
int space_map_kernel_page(struct space *s, uint64_t va, void *page, bool writable)
{
	if (va & (PAGE_SIZE - 1) || va >= L4_USER_TOP)
		return L4_EINVAL;
	uint64_t *pte = pte_walk(s, va, true);
	if (!pte)
		return L4_ENOMEM;
	if (*pte & PTE_P)
		return L4_EINVAL;
	*pte = V2P(page) | PTE_P | PTE_U | PTE_KOWNED | (writable ? PTE_W : 0) | (feat.nx ? PTE_NX : 0);
	return L4_OK;
}

void space_unmap_kernel_page(struct space *s, uint64_t va)
{
	uint64_t *pte = pte_walk(s, va, false);
	if (pte && (*pte & PTE_KOWNED)) {
		*pte = 0;
		tlb_flush_page(s, va);
	}
}

/* Copies user memory through the page tables, never faulting: false if
 * any byte is not mapped user-readable. */
bool space_copy_from_user(struct space *s, void *dst, uint64_t src, size_t n)
{
	while (n) {
		if (src >= L4_USER_TOP)
			return false;
		uint64_t *pte = pte_walk(s, src, false);
		if (!pte || (*pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U))
			return false;
		size_t chunk = PAGE_SIZE - (src & (PAGE_SIZE - 1));
		if (chunk > n)
			chunk = n;
		memcpy(dst, (uint8_t *)P2V(*pte & PTE_ADDR) + (src & (PAGE_SIZE - 1)), chunk);
		dst = (uint8_t *)dst + chunk;
		src += chunk;
		n -= chunk;
	}
	return true;
}
