/* The mapping database (Liedtke 1995, appendix): for every physical frame a
 * tree of mappings. The root is sigma0's idempotent mapping; a map adds a
 * child, a grant moves a node to another space, and an unmap revokes rights
 * from a node's whole subtree, so flush is recursive by construction.
 * Page tables only cache this model: every user PTE outside the kernel-owned
 * pages (UTCB, boot info) has exactly one node here.
 *
 * Invariants: a child's rights are a subset of its parent's; a node without
 * read right does not exist (it is removed). Traversals are iterative, so a
 * hostile chain of mappings cannot overflow a kernel stack. */
#include "kernel.h"

struct mapnode {
	struct space *space;
	uint64_t va;
	uint64_t pfn;
	unsigned rights;
	unsigned key;                           /* protection key (PKU), 0..15 */
	struct mapnode *parent, *child;
	struct mapnode *next, *prev;            /* siblings */
};

/* Tree roots by frame number, in 512-entry leaves allocated on first use
 * (device memory is sparse): frame_leaf[pfn / 512][pfn % 512]. */
static struct mapnode ***frame_leaf;
static uint64_t nleaves;
static struct mapnode *node_free;

void mapdb_init(void)
{
	nleaves = (mem_phys_top() / PAGE_SIZE + 511) / 512;
	frame_leaf = pages_alloc((nleaves * sizeof(*frame_leaf) + PAGE_SIZE - 1) / PAGE_SIZE);
	if (!frame_leaf)
		panic("no kernel memory for the mapping database");
}

static struct mapnode **root_slot(uint64_t pfn, bool alloc)
{
	uint64_t leaf = pfn / 512;
	if (leaf >= nleaves)
		return NULL;
	if (!frame_leaf[leaf] && (!alloc || !(frame_leaf[leaf] = page_alloc())))
		return NULL;
	return &frame_leaf[leaf][pfn % 512];
}

static struct mapnode *node_alloc(void)
{
	if (!node_free) {
		struct mapnode *p = page_alloc();
		if (!p)
			return NULL;
		for (size_t i = 0; i < PAGE_SIZE / sizeof(*p); i++) {
			p[i].next = node_free;
			node_free = &p[i];
		}
	}
	struct mapnode *n = node_free;
	node_free = n->next;
	memset(n, 0, sizeof(*n));
	return n;
}

static void node_release(struct mapnode *n)
{
	n->next = node_free;
	node_free = n;
}

/* The next node in pre-order after n's subtree, not leaving top's subtree. */
static struct mapnode *after_subtree(struct mapnode *n, struct mapnode *top)
{
	for (; n && n != top; n = n->parent)
		if (n->next)
			return n->next;
	return NULL;
}

/* Where the node of the mapping at va in s is kept: each leaf page table
 * has a companion page of 512 node pointers (found through the table's
 * page meta, mem.c), so a mapping's node is found in O(1). NULL if there
 * is no page table there, or alloc found no memory. */
static struct mapnode **node_slot(struct space *s, uint64_t va, bool alloc)
{
	uint64_t *pte = pte_walk(s, va, alloc);
	if (!pte)
		return NULL;
	uint64_t *meta = mem_page_meta((void *)((uint64_t)pte & ~(PAGE_SIZE - 1)));
	if (!*meta) {
		if (!alloc || !kmem_charge(s, 1))
			return NULL;
		void *companion = page_alloc();
		if (!companion) {
			kmem_uncharge(s, 1);
			return NULL;
		}
		*meta = (uint64_t)companion;
	}
	return (struct mapnode **)*meta + ((va >> 12) & 511);
}

static struct mapnode *find(struct space *s, uint64_t va)
{
	struct mapnode **slot = node_slot(s, va, false);
	return slot ? *slot : NULL;
}

static uint64_t pte_bits(uint64_t pfn, unsigned rights, unsigned key)
{
	uint64_t f = PTE_P | PTE_U | (uint64_t)key << PTE_PKEY_SHIFT;
	if (!mem_is_ram(pfn * PAGE_SIZE))
		f |= PTE_PCD | PTE_PWT;      /* device memory: uncached */
	/* W^X: a writable user page is never executable, whatever the rights */
	if (rights & L4_W)
		f |= PTE_W;
	if ((!(rights & L4_X) || (rights & L4_W)) && feat.nx)
		f |= PTE_NX;
	return f;
}

/* Writes n's PTE; only an entry that was present can be in a TLB. */
static void pte_set(struct mapnode *n)
{
	uint64_t *pte = pte_walk(n->space, n->va, false);
	bool was_present = *pte & PTE_P;
	*pte = (n->pfn << 12) | pte_bits(n->pfn, n->rights, n->key);
	if (was_present)
		tlb_flush_page(n->space, n->va);
}

/* Removes n's PTE and its entry in the companion page. */
static void pte_clear(struct mapnode *n)
{
	uint64_t *pte = pte_walk(n->space, n->va, false);
	*pte = 0;
	*node_slot(n->space, n->va, false) = NULL;
	tlb_flush_page(n->space, n->va);
}

static void link_child(struct mapnode *parent, struct mapnode *c)
{
	c->parent = parent;
	c->prev = NULL;
	c->next = parent->child;
	if (c->next)
		c->next->prev = c;
	parent->child = c;
}

/* Takes n out of its parent's children (or its frame's root) in O(1). */
static void unlink(struct mapnode *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else if (n->parent)
		n->parent->child = n->next;
	else
		*root_slot(n->pfn, false) = n->next;
	if (n->next)
		n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

/* Counts one unit of work; true at a preemption point that wants the CPU. */
static bool preempt(unsigned *work)
{
	return work && ++*work % PREEMPT_EVERY == 0 && sched_preempt_point();
}

/* Removes n and all mappings derived from it, leaves first. With work, it
 * may stop at a preemption point (false): the tree stays consistent, with
 * n and what is left below it in place, for a restart to finish. */
static bool remove_subtree(struct mapnode *n, unsigned *work)
{
	struct mapnode *cur = n;
	for (;;) {
		while (cur->child)
			cur = cur->child;
		struct mapnode *parent = cur->parent;
		pte_clear(cur);
		unlink(cur);
		node_release(cur);
		bool stop = preempt(work);
		if (cur == n || stop)
			return !stop;
		cur = parent;
	}
}

/* Takes rights away from every mapping below top (and top itself if asked);
 * false if it stopped at a preemption point (a restart finishes the job:
 * what is done stays done). */
static bool revoke(struct mapnode *top, unsigned rights, bool self, unsigned *work)
{
	struct mapnode *n = self ? top : top->child, *stop = top;
	while (n) {
		unsigned left = n->rights & ~rights;
		struct mapnode *next;
		if (!(left & L4_R)) {
			next = after_subtree(n, stop);
			if (!remove_subtree(n, work))
				return false;
		} else {
			if (left != n->rights) {
				n->rights = left;
				pte_set(n);
				if (preempt(work))
					return false;
			}
			next = n->child ? n->child : after_subtree(n, stop);
		}
		n = next;
	}
	return true;
}

static bool is_ancestor(struct mapnode *a, struct mapnode *n)
{
	for (; n; n = n->parent)
		if (n == a)
			return true;
	return false;
}

/* Sigma0 touched (or maps) a frame it has not used yet, or granted away:
 * install the idempotent root mapping (a tree left by a grant goes below
 * it, so sigma0 can still revoke it). L4_EINVAL if va is not a frame
 * sigma0 owns, L4_ENOMEM if the kernel pool is empty. */
static int sigma0_materialize(struct space *s, uint64_t va)
{
	struct mapnode **root, **slot, *n;
	uint64_t *pte;
	if (!s->sigma0 || !mem_is_sigma0_frame(va))
		return L4_EINVAL;
	if (!(root = root_slot(va / PAGE_SIZE, true)) || !(slot = node_slot(s, va, true)))
		return L4_ENOMEM;
	pte = pte_walk(s, va, false);
	if (*pte & PTE_P)
		return L4_OK;
	if (!(n = node_alloc()))
		return L4_ENOMEM;
	unsigned rights = loader_is_sigma0_text(va) ? L4_R | L4_X : L4_RWX;
	*n = (struct mapnode){ .space = s, .va = va, .pfn = va / PAGE_SIZE, .rights = rights };
	if (*root)
		link_child(n, *root);
	*root = n;
	*slot = n;
	*pte = va | pte_bits(n->pfn, rights, 0);
	return L4_OK;
}

int mapdb_sigma0_fault(struct space *s, uint64_t va)
{
	int err = sigma0_materialize(s, va & ~(PAGE_SIZE - 1));
	if (err == L4_EINVAL)
		panic("sigma0 touched %lx, which is not memory it owns", va);
	return err;
}

/* The node behind the mapping at va in s, or NULL (absent or kernel-owned).
 * With err, a frame sigma0 has not touched yet is materialized first, and
 * *err says whether kernel memory ran out doing so. */
static struct mapnode *lookup(struct space *s, uint64_t va, int *err)
{
	uint64_t *pte = pte_walk(s, va, false);
	if ((!pte || !(*pte & PTE_P)) && err && s->sigma0) {
		if (sigma0_materialize(s, va) == L4_ENOMEM) {
			*err = L4_ENOMEM;
			return NULL;
		}
		pte = pte_walk(s, va, false);
	}
	if (!pte || !(*pte & PTE_P) || (*pte & PTE_KOWNED))
		return NULL;
	return find(s, va);
}

/* Maps (or grants) the page at from_va to to_va with at most rights, with
 * protection key `key` if the source page has none (key 0), else with the
 * source's. Pages absent in the source are skipped, as are targets the
 * kernel owns. */
int mapdb_map(struct space *from, uint64_t from_va, struct space *to, uint64_t to_va,
	      unsigned rights, unsigned key, bool grant)
{
	/* the top user page stays unmapped: a SYSCALL at its very end would
	 * return to a non-canonical address */
	if (to_va >= L4_USER_TOP)
		return L4_OK;
	int err = L4_OK;
	struct mapnode *n = lookup(from, from_va, &err);
	if (err)
		return err;
	if (!n || !(rights &= n->rights) || !(rights & L4_R))
		return L4_OK;
	if (from == to && from_va == to_va)
		return L4_OK;
	struct mapnode **slot = node_slot(to, to_va, true);
	if (!slot)
		return L4_ENOMEM;
	uint64_t *dpte = pte_walk(to, to_va, false);
	if (*dpte & PTE_KOWNED)
		return L4_OK;
	if (*dpte & PTE_P) {
		struct mapnode *old = find(to, to_va);
		if (old && is_ancestor(old, n))
			return L4_OK;        /* would revoke its own source */
		if (old && old->parent == n && !grant) {
			/* the same mapping again: at most more rights, and what
			 * was mapped on from it stays */
			old->rights |= rights;
			pte_set(old);
			return L4_OK;
		}
		if (old)
			remove_subtree(old, NULL);
	}
	struct mapnode *c = n;
	if (grant) {
		/* the node itself moves, keeping its place and its children */
		pte_clear(n);
	} else if ((c = node_alloc())) {
		c->pfn = n->pfn;
		link_child(n, c);
	} else {
		return L4_ENOMEM;
	}
	c->space = to;
	c->va = to_va;
	c->rights = rights;
	c->key = n->key ? n->key : key;
	*slot = c;
	pte_set(c);
	return L4_OK;
}

/* False if it stopped at a preemption point (see revoke). */
bool mapdb_unmap(struct space *s, uint64_t va, unsigned rights, bool self, unsigned *work)
{
	struct mapnode *n = lookup(s, va, NULL);
	return !n || revoke(n, rights, self, work);
}

/* Removes every mapping of s from s->destroyed up, and everything derived
 * from them. With work it may stop at a preemption point (false), and
 * s->destroyed says where a restart goes on. */
bool mapdb_space_destroy(struct space *s, unsigned *work)
{
	for (uint64_t va = s->destroyed; va < L4_USER_TOP; s->destroyed = va) {
		uint64_t *t = s->pml4;
		uint64_t size = 1ull << 39;
		int shift;
		for (shift = 39; shift >= 12; shift -= 9) {
			size = 1ull << shift;
			uint64_t e = t[(va >> shift) & 511];
			if (!(e & PTE_P))
				break;
			if (shift == 12) {
				struct mapnode *n = (e & PTE_KOWNED) ? NULL : find(s, va);
				if (n && !remove_subtree(n, work))
					return false;
				break;
			}
			t = P2V(e & PTE_ADDR);
		}
		va = (va & ~(size - 1)) + size;
		if (preempt(work)) {
			s->destroyed = va;
			return false;
		}
	}
	return true;
}
