/* The IPC fast path: call or reply-and-wait with a short, untyped message
 * (MR0..MR3, all in registers) to a thread already waiting for us, with an
 * infinite receive timeout. The message is copied register to register and
 * the CPU goes straight to the receiver; the caller waits for its reply.
 * Every other case takes the one exit to the general path (ipc.c). */
#include "kernel.h"

bool ipc_fastpath(struct trapframe *f)
{
	struct tcb *self = current(), *dst;
	uint64_t to = f->rdi, from = f->rsi, tag = f->r8;

	if (unlikely(from != to && from != L4_ANYTHREAD) || unlikely(to == L4_NILTHREAD) ||
	    unlikely(L4_TAG_T(tag) != 0 || L4_TAG_U(tag) > 3) ||
	    unlikely(label_is_kernel(tag)) ||           /* refused by the general path */
	    unlikely((uint32_t)f->rdx != L4_NEVER) ||
	    unlikely(!(dst = thread_lookup(to))) ||
	    unlikely(dst->state != T_RECV_WAIT || dst->kmsg) ||
	    unlikely(dst->recv_from != self->tid && dst->recv_from != L4_ANYTHREAD) ||
	    unlikely(from == L4_ANYTHREAD && (self->send_head || irq_pending_for(self, from))))
		return false;

	struct trapframe *d = dst->frame;
	d->r8 = tag;
	d->r9 = f->r9;
	d->r10 = f->r10;
	d->r12 = f->r12;
	d->rsi = self->tid;
	d->rdx = self->space->id;
	dst->ipc_result = L4_OK;
	timeout_cancel(dst);
	dst->state = T_READY;

	self->state = T_RECV_WAIT;
	self->recv_from = from;
	self->recv_timeout = L4_NEVER;
	sched_switch_to(dst);

	f->rax = ipc_resume(self);
	return true;
}
