/* Threads of the root task's own space (the program server), and the root
 * task's side of sigma0's protocol. */
#include "root.h"

#define NSTACKS 2
#define STACK_SIZE 16384
#define LOCAL_UTCB_BASE 0x10000000ull

static uint8_t stacks[NSTACKS][STACK_SIZE] __attribute__((aligned(16)));
static unsigned nstacks;
static uint64_t next_num = 40;          /* the test suite numbers its threads from 256 */

uint64_t tid_alloc(void)
{
	return L4_TID(next_num++, 1);
}

/* A thread in the root task's space, pager sigma0, started by exregs at
 * fn with arg in its UTCB's user[0]. */
uint64_t thread_new_local(void (*fn)(void), uint64_t arg)
{
	uint64_t tid = tid_alloc(), utcb = LOCAL_UTCB_BASE + L4_TID_NUM(tid) * 4096;
	if (nstacks == NSTACKS || l4_thread_control(tid, l4_myself(), L4_SIGMA0_TID, utcb))
		return 0;
	((struct l4_utcb *)utcb)->user[0] = arg;
	if (l4_exregs(tid, (uint64_t)fn, (uint64_t)stacks[nstacks++] + STACK_SIZE - 8))
		return 0;
	return tid;
}

uint64_t sigma0_alloc(void)
{
	uint64_t *mr = l4_utcb()->mr;
	l4_utcb()->acceptor = L4_COMPLETE;
	mr[0] = L4_TAG(L4_SIGMA0_ALLOC, 0, 0);
	int err = l4_call(L4_SIGMA0_TID);
	l4_utcb()->acceptor = 0;
	return err ? 0 : mr[1];
}

int sigma0_request(uint64_t fpage)
{
	uint64_t *mr = l4_utcb()->mr;
	l4_utcb()->acceptor = L4_COMPLETE;
	mr[0] = L4_TAG(L4_SIGMA0_REQUEST, 1, 0);
	mr[1] = fpage;
	int err = l4_call(L4_SIGMA0_TID);
	l4_utcb()->acceptor = 0;
	return err;
}
