/* Threads: creation in a space, deletion, killing, and the idle thread.
 * Thread ids carry a version: lookup compares the whole id, and a slot's
 * versions only grow (a slot that reached 0xffff is used up), so no id a
 * thread ever had names a later thread. */
#include "kernel.h"

struct tcb tcbs[MAX_THREADS];      /* also described by kdebug.c */
static uint16_t last_version[MAX_THREADS];
static struct tcb idle_tcb;

#define THREAD_KPAGES (1 + KSTACK_SIZE / PAGE_SIZE)     /* its UTCB and kernel stack */

/* A kernel stack in slot (a thread number, or KSTACK_IDLE_SLOT), used
 * only through that slot, above its guard (paging.c); NULL if none. */
static void *kstack_alloc(unsigned slot)
{
	void *s = pages_alloc(KSTACK_SIZE / PAGE_SIZE);
	return s ? kstack_map(slot, s) : NULL;
}

static void kstack_free(unsigned slot)
{
	pages_free(kstack_unmap(slot), KSTACK_SIZE / PAGE_SIZE);
}

/* Below t's user frame, a switch_context frame that "returns" to entry
 * (t is not running, so nothing else lives on its stack). */
void thread_resume_at(struct tcb *t, void (*entry)(void))
{
	uint64_t *sp = (uint64_t *)t->frame;
	*--sp = (uint64_t)entry;
	for (int i = 0; i < 6; i++)
		*--sp = 0;                 /* rbx, rbp, r12..r15 */
	t->ksp = (uint64_t)sp;
}

/* Lays out a fresh kernel stack: the user frame at the top and, below it,
 * a switch_context frame that "returns" to entry. */
static void kstack_prepare(struct tcb *t, void (*entry)(void))
{
	t->frame = (struct trapframe *)(t->kstack + KSTACK_SIZE) - 1;
	memset(t->frame, 0, sizeof(*t->frame));
	t->frame->cs = SEL_UCODE;
	t->frame->ss = SEL_UDATA;
	t->frame->rflags = RFLAGS_IF | 2;
	thread_resume_at(t, entry);
}

/* Creates thread tid in space (which gains a thread). The thread waits for
 * its start message (MR1 ip, MR2 sp) from its pager. NULL with *err
 * L4_ENOMEM (kernel memory) or L4_EINVAL (the UTCB address is unusable). */
struct tcb *thread_create(uint64_t tid, struct space *space, uint64_t pager, uint64_t utcb, int *err)
{
	uint64_t n = L4_TID_NUM(tid);
	struct tcb *t = &tcbs[n];
	if (!kmem_charge(space, THREAD_KPAGES)) {
		*err = L4_ENOMEM;
		return NULL;
	}
	void *u = page_alloc();
	uint8_t *ks = kstack_alloc(n);
	*err = !u || !ks ? L4_ENOMEM : space_map_kernel_page(space, utcb, u, true);
	if (*err) {
		if (u)
			page_free(u);
		if (ks)
			kstack_free(n);
		kmem_uncharge(space, THREAD_KPAGES);
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->space = space;
	t->pager = pager;
	t->kstack = ks;
	t->utcb = u;
	t->utcb_uaddr = utcb;
	t->utcb->self = utcb;
	t->utcb->tid = tid;
	t->fs_base = utcb;
	t->prio = 100;
	t->timeslice = t->remaining = 10;
	kstack_prepare(t, thread_first_return);
	space->nthreads++;
	last_version[n] = L4_TID_VER(tid);
	t->state = T_RECV_WAIT;
	t->recv_from = pager;
	t->startup = true;
	t->kmsg = true;
	return t;
}

bool thread_tid_usable(uint64_t tid)
{
	uint64_t n = L4_TID_NUM(tid);
	return n >= L4_TID_NUM(L4_SIGMA0_TID) && n < MAX_THREADS && L4_TID_VER(tid) != 0 &&
	       tcbs[n].state == T_FREE && L4_TID_VER(tid) > last_version[n];
}

/* Threads waiting to receive from t (e.g. for its reply) would wait forever. */
static void fail_receivers(struct tcb *t)
{
	for (int i = 0; i < MAX_THREADS; i++)
		if (tcbs[i].state == T_RECV_WAIT && tcbs[i].recv_from == t->tid && !tcbs[i].startup)
			ipc_wake(&tcbs[i], L4_ECANCELED | L4_E_RECV);
}

/* Stops t for good: it leaves every queue; its id stays until deleted. */
void thread_kill(struct tcb *t, const char *why)
{
	kprintf("thread %lx killed: %s\n", t->tid, why);
	thread_stop(t);
}

/* thread_kill without the log line (a thread on its way to deletion). */
void thread_stop(struct tcb *t)
{
	fail_receivers(t);
	ipc_cancel(t, L4_ECANCELED);
	sched_unready(t);
	irq_thread_gone(t);
	t->state = T_DEAD;
	if (t == current())
		schedule();
}

/* Frees t (not the current thread); its space goes with its last thread. */
void thread_delete(struct tcb *t)
{
	fail_receivers(t);
	ipc_cancel(t, L4_ECANCELED);
	sched_unready(t);
	irq_thread_gone(t);
	fpu_release(t);
	space_unmap_kernel_page(t->space, t->utcb_uaddr);
	page_free(t->utcb);
	kstack_free(L4_TID_NUM(t->tid));
	kmem_uncharge(t->space, THREAD_KPAGES);
	t->state = T_FREE;
	if (--t->space->nthreads == 0)
		space_destroy(t->space);
}

/* How many owner links lead from t's space to s (t's space is one s
 * controls), at most 64. */
static int depth_below(const struct space *s, const struct space *t)
{
	int d = 0;
	for (; t && t != s && d < 64; t = t->owner)
		d++;
	return d;
}

/* Deletes every thread of space s and of the spaces s controls (never the
 * caller's own). All of them stop first; then the deepest spaces go
 * first, so no space outlives the one that owns it, and a space's
 * mappings go before its last thread with preemption points (false: a
 * restart goes on where this stopped). */
bool thread_delete_space(struct tcb *self, struct space *s, unsigned *work)
{
	int deepest = -1;
	for (int i = 0; i < MAX_THREADS; i++) {
		struct tcb *t = &tcbs[i];
		if (t->state == T_FREE || !space_controls(s, t->space))
			continue;
		if (t->state != T_DEAD)
			thread_stop(t);
		int d = depth_below(s, t->space);
		if (d > deepest)
			deepest = d;
	}
	for (int d = deepest; d >= 0; d--) {
		for (int i = 0; i < MAX_THREADS; i++) {
			struct tcb *t = &tcbs[i];
			if (t->state == T_FREE || t == self || !space_controls(s, t->space) ||
			    depth_below(s, t->space) != d)
				continue;
			if (t->space->nthreads == 1 && !mapdb_space_destroy(t->space, work))
				return false;
			thread_delete(t);
		}
	}
	return true;
}

static void idle_loop(void)
{
	for (;;) {
		schedule();
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

struct tcb *thread_idle_create(void)
{
	struct tcb *t = &idle_tcb;
	t->kstack = kstack_alloc(KSTACK_IDLE_SLOT);
	if (!t->kstack)
		panic("no kernel stack for the idle thread");
	kstack_prepare(t, idle_loop);
	t->state = T_READY;
	return t;
}
