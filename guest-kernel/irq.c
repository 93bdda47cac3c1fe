/* Interrupts as IPC. A thread attaches itself to a line; when the line
 * fires the kernel masks it and delivers an empty message from the line's
 * id (L4_IRQ_TID) as soon as the thread receives from it (or from any).
 * The thread acknowledges by sending to the line's id, which unmasks it.
 * MSI lines are edge-triggered messages the kernel cannot mask: one pending
 * bit coalesces repeats and the acknowledgement only completes the IPC.
 * The kernel knows nothing of any device. A line's pending bit lives in
 * its handler's irq_pending, so "anything pending for me?" is one test. */
#include "kernel.h"

#define NLINES IRQ_LINES
#define MSI_ADDRESS 0xfee00000ull   /* fixed destination: local APIC 0 */

static struct tcb *handler[NLINES];

static bool is_msi(int line) { return line >= L4_NIRQ; }

static void line_mask(int line, bool masked)
{
	if (!is_msi(line))
		ioapic_mask(line, masked);
}

static void deliver(struct tcb *t, int irq)
{
	t->irq_pending &= ~(1u << irq);
	uint64_t *m = t->kmsg ? &t->kmr[0] : &t->frame->r8;
	*m = L4_TAG(L4_LABEL_INTERRUPT, 0, 0);
	if (!t->kmsg)
		t->frame->rsi = L4_IRQ_TID(irq), t->frame->rdx = 0;
}

void irq_raise(int irq)
{
	line_mask(irq, true);
	struct tcb *t = handler[irq];
	if (!t)
		return;
	t->irq_pending |= 1u << irq;
	if (t->state == T_RECV_WAIT && !t->startup && irq_wanted(t, t->recv_from)) {
		deliver(t, irq);
		ipc_wake(t, L4_OK);
	}
}

bool irq_try_receive(struct tcb *self, uint64_t from)
{
	uint32_t lines = irq_wanted(self, from);
	if (!lines)
		return false;
	deliver(self, __builtin_ctz(lines));
	return true;
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
			t->irq_pending &= ~(1u << line);
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
		t->irq_pending &= ~(1u << line);
		line_mask(line, false);
		return L4_OK;
	}
	if (op == L4_IRQ_DETACH) {
		if (handler[line] != t)
			return L4_EPERM;
		handler[line] = NULL;
		t->irq_pending &= ~(1u << line);
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
	t->irq_pending = 0;
}
