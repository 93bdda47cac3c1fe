/* Scheduling: 256 priorities, round robin within one, time slices counted
 * in timer ticks; IPC timeouts live on one list checked every tick.
 * The run queues hold ready threads other than the running one. The
 * kernel runs with interrupts off, so none of this needs locks (one CPU). */
#include "kernel.h"

static struct tcb *rq_head[256], *rq_tail[256];
static uint64_t sched_ready_bits[4];   /* bit p: a ready thread at priority p */
int sched_top = -1;              /* the highest p with a bit set, or -1 */
static struct tcb *timeouts;

static bool queued(struct tcb *t) { return t->rq_prev || rq_head[t->prio] == t; }

static void rq_enqueue(struct tcb *t)
{
	t->rq_next = NULL;
	t->rq_prev = rq_tail[t->prio];
	if (t->rq_prev)
		t->rq_prev->rq_next = t;
	else
		rq_head[t->prio] = t;
	rq_tail[t->prio] = t;
	sched_ready_bits[t->prio / 64] |= 1ull << (t->prio % 64);
	if (t->prio > sched_top)
		sched_top = t->prio;
}

void sched_ready(struct tcb *t)
{
	if (t == this_cpu()->idle || t == current() || queued(t))
		return;
	rq_enqueue(t);
	struct tcb *cur = current();
	if (cur && (t->prio > cur->prio || cur == this_cpu()->idle))
		this_cpu()->need_resched = true;
}

void sched_unready(struct tcb *t)
{
	if (!queued(t))
		return;
	if (t->rq_prev)
		t->rq_prev->rq_next = t->rq_next;
	else
		rq_head[t->prio] = t->rq_next;
	if (t->rq_next)
		t->rq_next->rq_prev = t->rq_prev;
	else
		rq_tail[t->prio] = t->rq_prev;
	t->rq_next = t->rq_prev = NULL;
	if (rq_head[t->prio])
		return;
	sched_ready_bits[t->prio / 64] &= ~(1ull << (t->prio % 64));
	if (t->prio == sched_top) {
		int i = t->prio / 64;
		while (i >= 0 && !sched_ready_bits[i])
			i--;
		sched_top = i < 0 ? -1 : i * 64 + 63 - __builtin_clzll(sched_ready_bits[i]);
	}
}

static struct tcb *highest(void)
{
	return sched_top < 0 ? NULL : rq_head[sched_top];
}

/* Without FSGSBASE only the kernel sets the user FS/GS bases, so the
 * MSRs are written only when next's differ from what they hold. */
void segbase_load_msrs(struct cpu *c, struct tcb *next)
{
	if (c->fs_base != next->fs_base)
		wrmsr(MSR_FS_BASE, c->fs_base = next->fs_base);
	if (c->gs_base != next->gs_base)
		wrmsr(MSR_KERNEL_GS_BASE, c->gs_base = next->gs_base);
}

/* Makes next the current thread (switch_user_state, kernel.h). The idle
 * thread runs only in the kernel: a switch to it saves prev's user bases
 * and keeps prev's kernel stack, page tables and I/O bitmap in place (a
 * switch from it saves the bases into its own unused fields). */
static void switch_state(struct cpu *c, struct tcb *prev, struct tcb *next)
{
	if (next != c->idle) {
		switch_user_state(c, prev, next);
		return;
	}
	c->current = next;
	if (feat.fsgsbase) {
		prev->fs_base = rdfsbase();
		prev->gs_base = read_user_gsbase();
	}
	fpu_switch(next);
}

/* Runs next; the current thread sleeps here until it is switched to. A
 * thread without kernel context (cont) first gets one that finishes its
 * IPC and returns to user mode (ipc_continue). */
void sched_switch_to(struct tcb *next)
{
	struct cpu *c = this_cpu();
	struct tcb *prev = c->current;
	if (prev == next)
		return;
	sched_unready(next);
	switch_state(c, prev, next);
	if (next->cont) {
		next->cont = false;
		thread_resume_at(next, ipc_continue_entry);
	}
	switch_context(&prev->ksp, next->ksp);
}

/* Picks the next thread; the current one stays runnable if it is ready. */
void schedule(void)
{
	struct cpu *c = this_cpu();
	struct tcb *prev = c->current;
	c->need_resched = false;
	struct tcb *next = highest();
	if (prev != c->idle && prev->state == T_READY) {
		bool expired = prev->remaining == 0;
		if (expired)
			prev->remaining = prev->timeslice;
		if (!next || next->prio < prev->prio || (next->prio == prev->prio && !expired))
			return;                      /* prev keeps the CPU */
		rq_enqueue(prev);                /* round robin: to the tail */
	}
	sched_switch_to(next ? next : c->idle);
}

/* A preemption point in a long system call: pending interrupts come in
 * for one instruction (their handlers only wake threads and count ticks;
 * they switch nothing while the kernel runs, trap.c). True if a thread
 * should now run instead: the caller stops, with its state consistent, and
 * has the system call restarted. */
bool sched_preempt_point(void)
{
	__asm__ volatile("sti\n\tnop\n\tcli" ::: "memory");
	return this_cpu()->need_resched;
}

/* Thread switch: the rest of the caller's time goes to t if it is ready,
 * else to whoever the scheduler picks. */
void sched_yield_to(struct tcb *t)
{
	struct tcb *self = current();
	if (t && t != self && queued(t)) {
		rq_enqueue(self);
		sched_switch_to(t);
		return;
	}
	self->remaining = 0;
	schedule();
}

void timeout_set(struct tcb *t, uint32_t us)
{
	timeout_cancel(t);
	if (us == L4_NEVER)
		return;
	t->deadline = ticks + ((uint64_t)us + TICK_US - 1) / TICK_US + 1;
	t->timeout_next = timeouts;
	if (timeouts)
		timeouts->timeout_pprev = &t->timeout_next;
	t->timeout_pprev = &timeouts;
	timeouts = t;
}

void timeout_cancel(struct tcb *t)
{
	if (!t->timeout_pprev)
		return;
	*t->timeout_pprev = t->timeout_next;
	if (t->timeout_next)
		t->timeout_next->timeout_pprev = t->timeout_pprev;
	t->timeout_pprev = NULL;
	t->timeout_next = NULL;
	t->deadline = 0;
}

/* Timer tick: expire IPC timeouts, charge the running thread. */
void sched_tick(void)
{
	for (struct tcb *t = timeouts, *next; t; t = next) {
		next = t->timeout_next;
		if (t->deadline > ticks)
			continue;
		int err = t->state == T_RECV_WAIT ? L4_ETIMEOUT | L4_E_RECV : L4_ETIMEOUT;
		ipc_abort(t);
		ipc_wake(t, err);
	}
	struct tcb *cur = current();
	if (cur != this_cpu()->idle && cur->remaining && --cur->remaining == 0)
		this_cpu()->need_resched = true;
}

_Noreturn void sched_start(void)
{
	struct cpu *c = this_cpu();
	c->idle = thread_idle_create();
	c->current = c->idle;
	uint64_t dummy;
	struct tcb *next = highest();
	if (!next)
		panic("nothing to run");
	sched_unready(next);
	switch_user_state(c, c->idle, next);
	switch_context(&dummy, next->ksp);
	__builtin_unreachable();
}
