/* Interrupts as IPC. A thread attaches itself to a line; when the line
 * fires the kernel masks it and delivers an empty message from the line's
 * id (L4_IRQ_TID) as soon as the thread receives from it (or from any).
 * The thread acknowledges by sending to the line's id, which unmasks it.
 * MSI lines are edge-triggered messages the kernel cannot mask: one pending
 * bit coalesces repeats and the acknowledgement only completes the IPC.
 * The kernel knows nothing of any device. */
#include "kernel.h"

#define NLINES (L4_NIRQ + L4_NMSI)
#define MSI_ADDRESS 0xfee00000ull   /* fixed destination: local APIC 0 */

static struct tcb *handler[NLINES];
static bool pending[NLINES];

static bool is_msi(int line) { return line >= L4_NIRQ; }

static void line_mask(int line, bool masked)
{
	if (!is_msi(line))
		ioapic_mask(line, masked);
}

bool irq_is_tid(uint64_t tid)
{
	return L4_TID_NUM(tid) < NLINES && L4_TID_VER(tid) == 1;
}

static void deliver(struct tcb *t, int irq)
{
	pending[irq] = false;
	uint64_t *m = t->kmsg ? &t->kmr[0] : &t->frame->r8;
	*m = L4_TAG(L4_LABEL_INTERRUPT, 0, 0);
	if (!t->kmsg)
		t->frame->rsi = L4_IRQ_TID(irq), t->frame->rdx = 0;
}

static bool wants(struct tcb *t, uint64_t from, int irq)
{
	return handler[irq] == t && pending[irq] && (from == L4_ANYTHREAD || from == L4_IRQ_TID(irq));
}

void irq_raise(int irq)
{
	line_mask(irq, true);
	struct tcb *t = handler[irq];
	if (!t)
		return;
	pending[irq] = true;
	if (t->state == T_RECV_WAIT && !t->startup && wants(t, t->recv_from, irq)) {
		deliver(t, irq);
		ipc_wake(t, L4_OK);
	}
}

bool irq_pending_for(struct tcb *self, uint64_t from)
{
	for (int i = 0; i < NLINES; i++)
		if (wants(self, from, i))
			return true;
	return false;
}

bool irq_try_receive(struct tcb *self, uint64_t from)
{
	for (int i = 0; i < NLINES; i++) {
		if (wants(self, from, i)) {
			deliver(self, i);
			return true;
		}
	}
	return false;
}

/* A send to an interrupt id from its handler: the acknowledgement. */
bool irq_ack(struct tcb *self, uint64_t to)
{
	int irq = L4_TID_NUM(to);
	if (handler[irq] != self)
		return false;
	line_mask(irq, false);
	return true;
}

static int attach_msi(struct tcb *t, struct trapframe *f)
{
	for (int line = L4_NIRQ; line < NLINES; line++) {
		if (!handler[line]) {
			handler[line] = t;
			pending[line] = false;
			f->rdi = line;
			f->rsi = MSI_VECTOR_BASE + line - L4_NIRQ;   /* data: fixed, edge */
			f->rdx = MSI_ADDRESS;
			return L4_OK;
		}
	}
	return L4_ENOMEM;
}

/* The privileged space attaches a line to a handler thread, its own or
 * another space's (a driver then receives and acknowledges it itself). */
int irq_control(struct tcb *self, struct trapframe *f)
{
	uint64_t line = f->rdi, op = f->rsi;
	if (!self->space->privileged)
		return L4_EPERM;
	struct tcb *t = f->rdx == L4_NILTHREAD ? self : thread_lookup(f->rdx);
	if (!t || t->state == T_DEAD || !space_controls(self->space, t->space))
		return L4_EINVAL;
	if (op == L4_IRQ_ATTACH_MSI)
		return attach_msi(t, f);
	if (line >= NLINES || (op == L4_IRQ_ATTACH && is_msi(line)))
		return L4_EINVAL;
	if (op == L4_IRQ_ATTACH) {
		if (handler[line] && handler[line] != t)
			return L4_EPERM;
		handler[line] = t;
		pending[line] = false;
		line_mask(line, false);
		return L4_OK;
	}
	if (op == L4_IRQ_DETACH) {
		if (handler[line] != t)
			return L4_EPERM;
		handler[line] = NULL;
		line_mask(line, true);
		return L4_OK;
	}
	return L4_EINVAL;
}

void irq_thread_gone(struct tcb *t)
{
	for (int i = 0; i < NLINES; i++) {
		if (handler[i] == t) {
			handler[i] = NULL;
			line_mask(i, true);
		}
	}
}
