/* The IPC fast path: call or reply-and-wait with a short, untyped message
 * (MR0..MR3, all in registers) to a thread already waiting for us, with an
 * infinite receive timeout. The message is copied register to register and
 * the CPU goes straight to the receiver; the caller waits for its reply,
 * keeping no kernel context: the reply (by the fast path again) returns it
 * to user mode straight from its frame, as it does the receiver if that
 * one blocked here too. It returns only to decline.
 * Each check below names one reason to leave; all leave by the one exit to
 * the general path (ipc.c), which handles every case. */
#include "kernel.h"

/* The tag bits that must be 0: typed words, untyped words beyond 3. */
#define TAG_NOT_FAST (((uint64_t)63 << 6) | 60)

/* The TCB in the slot tid's number selects (which may hold another
 * thread, or none): the number is masked, never bounds-checked, and the
 * caller compares the whole id. */
static inline struct tcb *tcb_slot(uint64_t tid)
{
	struct tcb *t = &tcbs[L4_TID_NUM(tid) & (MAX_THREADS - 1)];
	__asm__("" : "+r"(t));   /* computed once, kept in a register */
	return t;
}

/* The switch to next, which waited in an IPC (so it is in no run queue):
 * the current thread keeps no kernel context (its stack is abandoned; it
 * continues from its user frame, which SYSCALL built), and next runs,
 * straight from its user frame if it has no kernel context either. */
static uint64_t abandoned;        /* where the switch saves the stack nobody resumes */

static inline _Noreturn void switch_away(struct tcb *self, struct tcb *next)
{
	self->cont = true;
	switch_user_state(&cpu0, self, next);
	if (next->cont) {
		next->cont = false;
		user_return_syscall(next->frame);
	}
	switch_context(&abandoned, next->ksp);
	__builtin_unreachable();
}

_Static_assert((MAX_THREADS & (MAX_THREADS - 1)) == 0, "thread numbers are masked");

void ipc_fastpath(struct trapframe *f)
{
	struct tcb *self = current();
	uint64_t to = f->rdi, from = f->rsi, tag = f->r8;

	/* only call (from == to) and reply-and-wait (from any) */
	if (unlikely(from != to && from != L4_ANYTHREAD))
		return;
	/* untyped words that fit in registers */
	if (unlikely(tag & TAG_NOT_FAST))
		return;
	/* a label only the kernel may send: the general path refuses it */
	if (unlikely(label_is_kernel(tag)))
		return;
	/* the receive phase may block forever, so it needs no timeout */
	if (unlikely((uint32_t)f->rdx != L4_NEVER))
		return;
	/* the partner exists (nil and interrupt ids name no thread: their
	 * slots are never threads') and waits for us, with its user registers */
	struct tcb *dst = tcb_slot(to);
	if (unlikely(dst->tid != to || dst->state != T_RECV_WAIT || dst->kmsg))
		return;
	if (unlikely(dst->recv_from != self->tid && dst->recv_from != L4_ANYTHREAD))
		return;
	/* an open wait must not skip a queued sender or a pending interrupt */
	if (unlikely(from == L4_ANYTHREAD && (self->send_head || self->irq_pending)))
		return;
	/* the partner must be the one the scheduler would pick once we block */
	if (unlikely(sched_outranked(dst->prio)))
		return;

	/* point of no return: nothing below can fail */
	struct trapframe *d = dst->frame;
	switch (L4_TAG_U(tag)) {         /* words beyond the tag stay the receiver's */
	case 3: d->r12 = f->r12;         /* fall through */
	case 2: d->r10 = f->r10;         /* fall through */
	case 1: d->r9 = f->r9;           /* fall through */
	default: d->r8 = tag;
	}
	d->rsi = self->tid;
	d->rdx = self->space->id;        /* the sender's space, which it cannot forge */
	d->rax = L4_OK;                  /* a receiver that continues from its frame */
	dst->ipc_result = L4_OK;         /* one asleep in the general path */
	if (unlikely(dst->timeout_pprev))
		timeout_cancel(dst);
	dst->state = T_READY;

	self->state = T_RECV_WAIT;
	self->recv_from = from;
	self->recv_timeout = L4_NEVER;
	switch_away(self, dst);
}
