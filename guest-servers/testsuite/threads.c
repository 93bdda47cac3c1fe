/* Thread ids, thread creation for the tests, and rpager: the pager (and
 * exception handler) of every space the test suite creates. Its threads of
 * its own space are paged by the root task like the rest of the program;
 * a child space sees the suite's image (code, data, stacks) mapped from
 * the suite, on purpose (the tests share their memory with the spaces
 * they make), and fresh pages from the root task in the anonymous region. */
#include "suite.h"

#define NSTACKS 24
#define STACK_SIZE 16384
#define LOCAL_UTCB_BASE 0x10000000ull
#define CHILD_UTCB 0x3000ull

extern char USER_BASE[], image_end[];
uint64_t rpager_tid;
struct pager_log plog;
static uint8_t stacks[NSTACKS][STACK_SIZE] __attribute__((aligned(16)));
static uint64_t stack_owner[NSTACKS];
static uint64_t stack_space[NSTACKS];    /* the space of stack_owner's thread */
static uint64_t next_num = 256;        /* the root task numbers its programs below */
static uint64_t freed[64];             /* ids of deleted threads, to reuse */
static unsigned nfreed;

/* A fresh id: a deleted thread's number with the next version (a slot's
 * versions only grow), else a new number. */
static uint64_t tid_alloc(void)
{
	if (nfreed) {
		uint64_t t = freed[--nfreed];
		if (L4_TID_VER(t) < 0xffff)
			return L4_TID(L4_TID_NUM(t), L4_TID_VER(t) + 1);
	}
	return L4_TID(next_num++, 1);
}

uint64_t tid_fresh(void)
{
	return L4_TID(next_num++, 1);
}

/* tid was deleted: its number may be used again, with a later version. */
static void tid_free(uint64_t tid)
{
	for (unsigned i = 0; i < nfreed; i++) {
		if (L4_TID_NUM(freed[i]) == L4_TID_NUM(tid)) {
			if (L4_TID_VER(tid) > L4_TID_VER(freed[i]))
				freed[i] = tid;
			return;
		}
	}
	if (nfreed < sizeof(freed) / sizeof(freed[0]))
		freed[nfreed++] = tid;
}

/* Creates thread tid (a fresh id from tid_alloc) in space with pager and
 * utcb; a test may have used the reused number's next version itself, so
 * a refused id gives way to a new number. The id, or 0. */
static uint64_t tid_create(uint64_t tid, uint64_t space_tid, uint64_t pager, uint64_t utcb_base,
			   uint64_t exc)
{
	for (int tries = 0; tries < 2; tries++) {
		uint64_t utcb = utcb_base ? utcb_base + L4_TID_NUM(tid) * 4096 : CHILD_UTCB;
		if (!l4_thread_control_exc(tid, space_tid ? space_tid : tid, pager, utcb, exc))
			return tid;
		tid = L4_TID(next_num++, 1);
	}
	return 0;
}

static uint64_t stack_get(uint64_t tid)
{
	for (int i = 0; i < NSTACKS; i++) {
		if (!stack_owner[i]) {
			stack_owner[i] = tid;
			return (uint64_t)stacks[i] + STACK_SIZE - 8;
		}
	}
	printf("FAIL threads: out of stacks\n");
	return 0;
}

static void space_note(uint64_t tid, uint64_t space)
{
	for (int i = 0; i < NSTACKS; i++)
		if (stack_owner[i] == tid)
			stack_space[i] = space;
}

int threads_list(uint64_t *tid, uint64_t *space, int max)
{
	int n = 0;
	for (int i = 0; i < NSTACKS && n < max; i++)
		if (stack_owner[i] && stack_space[i])
			tid[n] = stack_owner[i], space[n++] = stack_space[i];
	return n;
}

uint64_t stack_top(void)
{
	return stack_get(~0ull);
}

uint64_t thread_arg(void) { return l4_utcb()->user[0]; }

_Noreturn void sleep_forever(void)
{
	for (;;)
		l4_receive(l4_myself(), L4_NEVER, NULL);
}

/* A thread in the suite's space, paged by the root task, started by exregs. */
uint64_t thread_new_local(void (*fn)(void), uint64_t arg)
{
	uint64_t tid = tid_create(tid_alloc(), l4_myself(), prog_info->root, LOCAL_UTCB_BASE, L4_NILTHREAD);
	if (!tid)
		return 0;
	((struct l4_utcb *)(LOCAL_UTCB_BASE + L4_TID_NUM(tid) * 4096))->user[0] = arg;
	if (l4_exregs(tid, (uint64_t)fn, stack_get(tid)))
		return 0;
	space_note(tid, l4_myself());
	return tid;
}

static int rpager_start(uint64_t tid, void (*fn)(uint64_t), uint64_t arg)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(LABEL_START, 4, 0);
	mr[1] = tid;
	mr[2] = (uint64_t)fn;
	mr[3] = stack_get(tid);
	mr[4] = arg;
	int err = l4_call(rpager_tid);
	return err ? err : (int)mr[1];
}

/* A thread in a new space (space_tid 0) or in space_tid's space, whose
 * exceptions go to exc (nil: to rpager, its pager). */
uint64_t thread_new_exc(uint64_t space_tid, void (*fn)(uint64_t), uint64_t arg, uint64_t exc)
{
	uint64_t tid = tid_create(tid_alloc(), space_tid, rpager_tid, space_tid ? CHILD_UTCB : 0, exc);
	if (!tid)
		return 0;
	if (rpager_start(tid, fn, arg))
		return 0;
	space_note(tid, space_tid ? space_tid : tid);
	return tid;
}

uint64_t thread_new_in(uint64_t space_tid, void (*fn)(uint64_t), uint64_t arg)
{
	return thread_new_exc(space_tid, fn, arg, L4_NILTHREAD);
}

uint64_t thread_new_space(void (*fn)(uint64_t), uint64_t arg)
{
	return thread_new_exc(0, fn, arg, L4_NILTHREAD);
}

void thread_delete(uint64_t tid)
{
	if (!l4_thread_control(tid, L4_NILTHREAD, L4_NILTHREAD, 0))
		tid_free(tid);
	for (int i = 0; i < NSTACKS; i++)
		if (stack_owner[i] == tid)
			stack_owner[i] = stack_space[i] = 0;
}

uint64_t page_alloc(void)
{
	uint64_t pa;
	return (uint64_t)dma_alloc(&pa);
}

/* Resolves a child's page fault: fills mr[] with the reply. */
static void rpager_fault(uint64_t *mr, uint64_t from)
{
	uint64_t addr = mr[1] & ~0xfffull, page = 0;
	plog.last_addr = mr[1];
	plog.last_tid = from;
	plog.last_ip = mr[2];
	plog.faults++;
	if (addr >= (uint64_t)USER_BASE && addr < (uint64_t)image_end) {
		(void)*(volatile uint8_t *)addr;    /* make sure we have it ourselves */
		page = addr;
	} else if (addr >= ANON_BASE && addr < ANON_END) {
		page = page_alloc();
	}
	if (!page) {
		mr[0] = L4_TAG(0, 0, 0);                /* nothing: the kernel kills it */
		return;
	}
	mr[0] = L4_TAG(0, 0, 2);
	mr[1] = addr | L4_ITEM_MAP;
	mr[2] = L4_FPAGE(page, 12, L4_RWX);
}

static void rpager(void)
{
	uint64_t *mr = l4_utcb()->mr, from;
	int err = l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	for (;;) {
		uint64_t label = L4_TAG_LABEL(mr[0]);
		bool reply = true;
		if (err) {
			reply = false;
		} else if (label == L4_LABEL_PAGEFAULT) {
			rpager_fault(mr, from);
		} else if (label == L4_LABEL_EXCEPTION) {
			plog.exceptions++;
			plog.exc_vector = mr[1];
			plog.exc_ip = mr[3];
			plog.exc_addr = mr[21];
			mr[0] = L4_TAG(0, plog.resume_ip ? 2 : 0, 0);
			mr[1] = plog.resume_ip;
			mr[2] = plog.resume_sp;
		} else if (label == LABEL_START && L4_TAG_U(mr[0]) >= 4) {
			uint64_t requester = from, tid = mr[1];
			mr[0] = L4_TAG(0, 3, 0);
			mr[1] = mr[2];
			mr[2] = mr[3];
			mr[3] = mr[4];
			int e = l4_send(tid, 0);
			mr[0] = L4_TAG(0, 1, 0);
			mr[1] = (uint64_t)e;
			from = requester;
		} else {
			reply = false;                       /* unknown request: ignore */
		}
		if (reply)
			err = l4_reply_wait(from, &from);
		else
			err = l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	}
}

void threads_init(void)
{
	if (rpager_tid)
		return;
	rpager_tid = thread_new_local(rpager, 0);
	if (!rpager_tid)
		printf("FAIL threads: cannot create rpager\n");
}
