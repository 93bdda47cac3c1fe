/* The program side of the root task's protocol (shared/mkvm/root.h). */
#include "prog.h"

uint64_t prog_root_server;

/* The root task's server: from the info page, or set by the root task itself. */
static uint64_t root_server(void)
{
	return prog_root_server ? prog_root_server : prog_info->root;
}

static void put_name(uint64_t *mr, const char *name)
{
	mr[1] = mr[2] = mr[3] = 0;
	for (size_t i = 0; name[i] && i < MKVM_NAME_MAX; i++)
		((char *)&mr[1])[i] = name[i];
}

/* One call to the root task: 0 with the reply in mr[], or an MKVM_ROOT_E*. */
static int root_call(uint64_t *mr)
{
	l4_utcb()->acceptor = L4_COMPLETE;
	int err = l4_call(root_server());
	l4_utcb()->acceptor = 0;
	if (err)
		return MKVM_ROOT_EINVAL;
	return L4_TAG_LABEL(mr[0]) == MKVM_ROOT_OK ? 0 : (int)mr[1];
}

int root_request(uint64_t label, const char *name, const void *more, size_t n)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(label, 7, 0);
	put_name(mr, name);
	memset(&mr[4], 0, 4 * 8);
	memcpy(&mr[4], more, n < 32 ? n : 31);
	return root_call(mr);
}

int name_register(const char *name)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(MKVM_ROOT_REGISTER, 3, 0);
	put_name(mr, name);
	return root_call(mr);
}

uint64_t name_lookup(const char *name, uint64_t timeout_us)
{
	uint64_t *mr = l4_utcb()->mr, t0 = l4_clock_us();
	for (;;) {
		mr[0] = L4_TAG(MKVM_ROOT_LOOKUP, 3, 0);
		put_name(mr, name);
		int err = root_call(mr);
		if (!err)
			return mr[1];
		if (err != MKVM_ROOT_EAGAIN || l4_clock_us() - t0 >= timeout_us)
			return 0;
		l4_receive(l4_myself(), 2000, NULL);    /* sleep 2 ms */
	}
}

void *dma_alloc(uint64_t *pa)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(MKVM_ROOT_DMA, 0, 0);
	int err = root_call(mr);
	if (err) {
		printf("%s: no DMA page from the root task (error %d)\n", prog_info->name, err);
		return NULL;
	}
	*pa = mr[1];
	return (void *)MKVM_DMA_VA(mr[1]);
}

int root_map(uint64_t fpage)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(MKVM_ROOT_MAP, 1, 0);
	mr[1] = fpage;
	return root_call(mr);
}

uint64_t space_copy(void (*fn)(uint64_t), uint64_t sp, uint64_t arg)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(MKVM_ROOT_COPY, 3, 0);
	mr[1] = (uint64_t)fn;
	mr[2] = sp;
	mr[3] = arg;
	return root_call(mr) ? 0 : mr[1];
}

void prog_crash_if_asked(uint64_t from)
{
	uint64_t *mr = l4_utcb()->mr;
	if (from != root_server() || L4_TAG_LABEL(mr[0]) != MKVM_PROG_CRASH)
		return;
	printf("%s: crashing on purpose (%s)\n", prog_info->name,
	       mr[1] == MKVM_CRASH_NULL ? "null dereference" : "wild write");
	uint64_t *volatile target = mr[1] == MKVM_CRASH_NULL ? NULL : (uint64_t *)0x7654321000ull;
	*target = 1;
}

_Noreturn void prog_exit(int status)
{
	uint64_t *mr = l4_utcb()->mr;
	for (;;) {
		mr[0] = L4_TAG(MKVM_ROOT_EXIT, 1, 0);
		mr[1] = (uint64_t)status;
		l4_call(root_server());
	}
}
