/* The IPC fast path: call or reply-and-wait with a short, untyped message
 * (MR0..MR3, all in registers) to a thread already waiting for us, with an
 * infinite receive timeout. The message is copied register to register and
 * the CPU goes straight to the receiver; the caller waits for its reply,
 * keeping no kernel context: the reply (by the fast path again) returns it
 * to user mode straight from its frame, as it does the receiver if that
 * one blocked here too (sched_switch_away). It returns only to decline.
 * Each check below names one reason to leave; all leave by the one exit to
 * the general path (ipc.c), which handles every case. */
#include "kernel.h"

void ipc_fastpath(struct trapframe *f)
{
	struct tcb *self = current(), *dst;
	uint64_t to = f->rdi, from = f->rsi, tag = f->r8;

	/* only call (from == to) and reply-and-wait (from any) */
	if (unlikely(to == L4_NILTHREAD || (from != to && from != L4_ANYTHREAD)))
		return;
	/* untyped words that fit in registers */
	if (unlikely(L4_TAG_T(tag) != 0 || L4_TAG_U(tag) > 3))
		return;
	/* a label only the kernel may send: the general path refuses it */
	if (unlikely(label_is_kernel(tag)))
		return;
	/* the receive phase may block forever, so it needs no timeout */
	if (unlikely((uint32_t)f->rdx != L4_NEVER))
		return;
	/* the partner exists and waits for us, with its user registers */
	if (unlikely(!(dst = thread_lookup(to)) || dst->state != T_RECV_WAIT || dst->kmsg))
		return;
	if (unlikely(dst->recv_from != self->tid && dst->recv_from != L4_ANYTHREAD))
		return;
	/* an open wait must not skip a queued sender or a pending interrupt */
	if (unlikely(from == L4_ANYTHREAD && (self->send_head || irq_pending_for(self, from))))
		return;
	/* the partner must be the one the scheduler would pick once we block */
	if (unlikely(dst->prio < sched_top_prio()))
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
	sched_switch_away(dst);
}
