/* Sigma0: the root pager. Its address space is all free physical memory,
 * mapped 1:1 by the kernel. It resolves its clients' page faults with the
 * same page (idempotent), and hands the root task, and nobody else, free
 * pages and explicitly requested fpages, including I/O-port fpages. */
#include "../lib/l4.h"

static const struct l4_bootinfo *bi;
static uint64_t range, next;

static uint64_t alloc_page(void)
{
	while (range < bi->nfree) {
		if (next < bi->free[range].base)
			next = bi->free[range].base;
		if (next + 4096 <= bi->free[range].base + bi->free[range].size) {
			uint64_t p = next;
			next += 4096;
			return p;
		}
		range++;
	}
	return 0;
}


/* A fault on page: mapped 1:1, read-execute in the root task's text and
 * read-write (never executable) elsewhere; false for an access those
 * rights do not allow (the faulting thread then stays blocked). */
static bool fault(uint64_t *mr)
{
	uint64_t page = mr[1] & ~0xfffull, access = mr[1] & L4_RWX;
	bool text = page >= bi->root_text[0] && page < bi->root_text[1];
	unsigned rights = text ? L4_R | L4_X : L4_R | L4_W;
	if (access & ~rights) {
		printf("sigma0: refused %s access to %lx by thread %lx at ip %lx\n",
		       access & L4_W ? "write" : "execute", page, mr[3], mr[2]);
		return false;
	}
	mr[0] = L4_TAG(0, 0, 2);
	mr[1] = page | L4_ITEM_MAP;
	mr[2] = L4_FPAGE(page, 12, rights);
	return true;
}

/* Builds the reply to the request in mr[] from thread `from` of space
 * `space`; false: do not answer. Only the root task's threads are
 * answered, page faults included: a privileged program could make sigma0
 * the pager of its own threads, but gets nothing from it. */
static bool handle(uint64_t *mr, uint64_t from, uint64_t space)
{
	uint64_t label = L4_TAG_LABEL(mr[0]);
	if (space != L4_ROOT_TID)
		return false;
	if (label == L4_LABEL_PAGEFAULT) {
		mr[3] = from;
		return fault(mr);
	}
	if (label == L4_SIGMA0_ALLOC) {
		uint64_t p = alloc_page();
		mr[0] = L4_TAG(0, 1, p ? 2 : 0);
		mr[1] = p;
		mr[2] = p | L4_ITEM_MAP;
		mr[3] = L4_FPAGE(p, 12, L4_RWX);      /* the root task may map it on executable */
		return true;
	}
	if (label == L4_SIGMA0_REQUEST && L4_TAG_U(mr[0]) >= 1 &&
	    (L4_FPAGE_IS_IO(mr[1]) || L4_FPAGE_SIZE(mr[1]) <= 22)) {
		uint64_t fp = mr[1];
		mr[0] = L4_TAG(0, 0, 2);
		mr[1] = (L4_FPAGE_IS_IO(fp) ? 0 : L4_FPAGE_BASE(fp)) | L4_ITEM_MAP;
		mr[2] = fp;
		return true;
	}
	return false;
}

int main(const struct l4_bootinfo *info)
{
	bi = info;
	printf("sigma0: %lu free memory ranges\n", bi->nfree);
	uint64_t *mr = l4_utcb()->mr, from, space;
	int err = l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
	for (;;) {
		if (!err && handle(mr, from, space))
			err = l4_ipc_space(from, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
		else
			err = l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
	}
}
