/* Synchronous IPC, the general path. An IPC is an optional send phase to
 * `to` followed by an optional receive phase from `from` (a thread, or
 * L4_ANYTHREAD); call and reply-and-wait are the two common combinations.
 * A blocked thread sleeps on its kernel stack; whoever completes its IPC
 * copies the message and sets ipc_result. A caller whose send completes
 * goes straight to waiting for the reply, so a server may reply with a
 * zero timeout. */
#include "kernel.h"

/* Where message register i of t lives: kernel-protocol buffer, saved user
 * registers (MR0..MR3) or the UTCB. */
static uint64_t *mr(struct tcb *t, unsigned i)
{
	if (t->kmsg)
		return &t->kmr[i];
	switch (i) {
	case 0: return &t->frame->r8;
	case 1: return &t->frame->r9;
	case 2: return &t->frame->r10;
	case 3: return &t->frame->r12;
	default: return &t->utcb->mr[i];
	}
}

/* Copies the message from src to dst, performing its map/grant items. */
static int transfer(struct tcb *src, struct tcb *dst)
{
	uint64_t tag = *mr(src, 0);
	unsigned u = L4_TAG_U(tag), t = L4_TAG_T(tag), n = 1 + u + t;
	unsigned limit = (src->kmsg || dst->kmsg) ? ARRAY_SIZE(src->kmr) : L4_NMR;
	if (n > limit || (t & 1) || (!src->kmsg && label_is_kernel(tag)))
		return L4_EMSG;
	for (unsigned i = 0; i < n; i++)
		*mr(dst, i) = *mr(src, i);
	int err = L4_OK;
	uint64_t acceptor = dst->kmsg ? L4_COMPLETE : dst->utcb->acceptor;
	for (unsigned i = 1 + u; i < n && !err; i += 2)
		err = space_map_fpage(src, *mr(src, i), *mr(src, i + 1), dst, acceptor);
	if (!dst->kmsg) {
		dst->frame->rsi = src->tid;
		dst->frame->rdx = src->space->id;
	}
	if (dst->startup) {
		/* a bad start ip or sp leaves rip 0: the thread faults to its pager */
		if (USER_IP_OK(dst->kmr[1]) && USER_IP_OK(dst->kmr[2])) {
			dst->frame->rip = dst->kmr[1];
			dst->frame->rsp = dst->kmr[2];
		} else if (!err) {
			err = L4_EMSG;
		}
		dst->frame->rdi = dst->kmr[3];
		dst->startup = dst->kmsg = false;
	}
	return err;
}

void ipc_wake(struct tcb *t, int result)
{
	timeout_cancel(t);
	t->ipc_result = result;
	t->state = T_READY;
	sched_ready(t);
}

static bool matches(uint64_t from, struct tcb *sender)
{
	return from == L4_ANYTHREAD || from == sender->tid;
}

static struct tcb *queued_sender(struct tcb *self, uint64_t from)
{
	for (struct tcb *s = self->send_head; s; s = s->send_next)
		if (matches(from, s))
			return s;
	return NULL;
}

static void dequeue_sender(struct tcb *s)
{
	struct tcb *d = s->partner, **pp = &d->send_head, *prev = NULL;
	while (*pp != s) {
		prev = *pp;
		pp = &(*pp)->send_next;
	}
	*pp = s->send_next;
	if (d->send_tail == s)
		d->send_tail = prev;
	s->send_next = NULL;
	s->partner = NULL;
}

/* s's message was taken: it continues with its receive phase, if any. */
static void finish_send(struct tcb *s, int err)
{
	if (err || s->recv_from == L4_NILTHREAD) {
		ipc_wake(s, err);
	} else if (queued_sender(s, s->recv_from) || irq_pending_for(s, s->recv_from)) {
		ipc_wake(s, IPC_RETRY_RECV);
	} else if (s->recv_timeout == 0) {
		ipc_wake(s, L4_ETIMEOUT | L4_E_RECV);
	} else {
		s->state = T_RECV_WAIT;
		timeout_set(s, s->recv_timeout);
	}
}

static int receive(struct tcb *self, uint64_t from, uint32_t timeout)
{
	if (from != L4_ANYTHREAD && !irq_is_tid(from)) {
		struct tcb *partner = thread_lookup(from);
		if (!partner || partner->state == T_DEAD)
			return L4_ENOPARTNER | L4_E_RECV;
	}
	if (irq_try_receive(self, from))
		return L4_OK;
	struct tcb *s = queued_sender(self, from);
	if (s) {
		dequeue_sender(s);
		int err = transfer(s, self);
		finish_send(s, err);
		return err ? err | L4_E_RECV : L4_OK;
	}
	if (timeout == 0)
		return L4_ETIMEOUT | L4_E_RECV;
	self->state = T_RECV_WAIT;
	self->recv_from = from;
	timeout_set(self, timeout);
	schedule();
	return self->ipc_result;
}

/* A thread that blocked in the fast path and is woken by anything else
 * (general path, exregs, deletion of its partner) runs on from here, with
 * its user frame at the top of its stack (entry.S: ipc_continue_entry). */
void ipc_continue(struct trapframe *f)
{
	f->rax = ipc_resume(current());
	if (this_cpu()->need_resched)
		schedule();
}

/* After being woken from a blocking IPC: the result, or the receive phase
 * still to run. */
int ipc_resume(struct tcb *self)
{
	if (self->ipc_result == IPC_RETRY_RECV)
		return receive(self, self->recv_from, self->recv_timeout);
	return self->ipc_result;
}

int ipc(struct tcb *self, uint64_t to, uint64_t from, uint64_t timeouts)
{
	uint32_t snd_timeout = timeouts >> 32, rcv_timeout = (uint32_t)timeouts;
	if (irq_is_tid(to)) {
		/* the acknowledgement; a receive phase waits for the next interrupt */
		if (!irq_ack(self, to))
			return L4_ENOPARTNER;
	} else if (to != L4_NILTHREAD) {
		struct tcb *dst = thread_lookup(to);
		if (!dst || dst->state == T_DEAD || dst == self)
			return L4_ENOPARTNER;
		if (dst->state == T_RECV_WAIT && matches(dst->recv_from, self)) {
			int err = transfer(self, dst);
			ipc_wake(dst, err ? err | L4_E_RECV : L4_OK);
			if (err)
				return err;
		} else {
			if (snd_timeout == 0)
				return L4_ETIMEOUT;
			self->state = T_SEND_WAIT;
			self->partner = dst;
			self->recv_from = from;
			self->recv_timeout = rcv_timeout;
			self->send_next = NULL;
			if (dst->send_tail)
				dst->send_tail->send_next = self;
			else
				dst->send_head = self;
			dst->send_tail = self;
			timeout_set(self, snd_timeout);
			schedule();
			return ipc_resume(self);
		}
	}
	if (from == L4_NILTHREAD)
		return L4_OK;
	return receive(self, from, rcv_timeout);
}

/* An IPC the kernel makes on a thread's behalf (page fault, exception):
 * message in kmr[], reply from `to` only, no timeouts. */
int ipc_kernel_call(struct tcb *self, uint64_t to)
{
	self->kmsg = true;
	int err = ipc(self, to, to, L4_TIMEOUTS(L4_NEVER, L4_NEVER));
	self->kmsg = false;
	return err;
}

/* Takes t out of whatever IPC wait it is in (it is not woken). */
void ipc_abort(struct tcb *t)
{
	if (t->state == T_SEND_WAIT && t->partner)
		dequeue_sender(t);
	timeout_cancel(t);
}

/* t is going away: abort its IPC and fail every sender queued on it. */
void ipc_cancel(struct tcb *t, int err)
{
	ipc_abort(t);
	while (t->send_head) {
		struct tcb *s = t->send_head;
		dequeue_sender(s);
		ipc_wake(s, err);
	}
}
