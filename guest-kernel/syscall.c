/* System-call dispatch. Every argument comes from an untrusted thread: ids
 * are looked up with their version, addresses checked against the user
 * half, and user memory read only through the page tables. */
#include "kernel.h"

/* Does space self control s: is s self or created by self, directly or
 * through spaces self created? The root task controls every space but
 * sigma0's; a privileged space it created, only its own and its children. */
bool space_controls(const struct space *self, const struct space *s)
{
	for (int depth = 0; s && depth < 64; s = s->owner, depth++)
		if (s == self)
			return true;
	return false;
}

static int sys_thread_control(struct tcb *self, struct trapframe *f)
{
	uint64_t dest = f->rdi, space_tid = f->rsi, pager = f->rdx, utcb = f->r8;
	if (!self->space->privileged)
		return L4_EPERM;
	if (space_tid == L4_NILTHREAD) {             /* delete */
		struct tcb *t = thread_lookup(dest);
		if (!t || t == self || !space_controls(self->space, t->space))
			return L4_EINVAL;
		/* the last thread takes its space along: the thread stops, and
		 * the mappings go first, with preemption points */
		unsigned work = 0;
		if (f->r10 & L4_TC_WHOLE_SPACE) {
			if (space_controls(t->space, self->space))
				return L4_EINVAL;
			return thread_delete_space(self, t->space, &work) ? L4_OK : SYSCALL_RESTART;
		}
		if (t->space->nthreads == 1) {
			thread_stop(t);
			if (!mapdb_space_destroy(t->space, &work))
				return SYSCALL_RESTART;
		}
		thread_delete(t);
		return L4_OK;
	}
	if (!thread_tid_usable(dest) || pager == L4_NILTHREAD)
		return L4_EINVAL;
	struct space *s;
	if (space_tid == dest) {
		s = space_create();
		if (!s)
			return L4_ENOMEM;
		s->owner = self->space;
		s->id = dest;
		s->kmem_limit = (uint32_t)f->r12;      /* pages; 0: none of its own */
		s->privileged = f->r10 & L4_TC_PRIVILEGED;
	} else {
		struct tcb *other = thread_lookup(space_tid);
		if (!other || !space_controls(self->space, other->space))
			return L4_EINVAL;
		s = other->space;
	}
	int err;
	struct tcb *t = thread_create(dest, s, pager, utcb, &err);
	if (!t) {
		if (s->nthreads == 0)
			space_destroy(s);
		return err;
	}
	t->exc_handler = f->r9;
	return L4_OK;
}

/* Sets ip/sp (unless ~0) of a thread in the caller's space, aborting any
 * IPC it is blocked in (senders queued on it stay queued); returns the old
 * values in rdi/rsi. */
static int sys_exregs(struct tcb *self, struct trapframe *f)
{
	struct tcb *t = thread_lookup(f->rdi);
	if (!t || t->space != self->space || t == self || t->state == T_DEAD)
		return L4_EINVAL;
	if (t->space->zoned)
		return L4_EPERM;        /* it could move a thread into another zone's code */
	uint64_t ip = f->rsi, sp = f->rdx;
	if ((ip != ~0ull && !USER_IP_OK(ip)) || (sp != ~0ull && !USER_IP_OK(sp)))
		return L4_EINVAL;
	f->rdi = t->frame->rip;
	f->rsi = t->frame->rsp;
	if (ip != ~0ull)
		t->frame->rip = ip;
	if (sp != ~0ull)
		t->frame->rsp = sp;
	if (t->state != T_READY) {
		ipc_abort(t);
		t->startup = false;
		t->kmsg = false;
		ipc_wake(t, L4_ECANCELED);
	}
	return L4_OK;
}

static int sys_schedule(struct tcb *self, struct trapframe *f)
{
	struct tcb *t = thread_lookup(f->rdi);
	if (!self->space->privileged)
		return L4_EPERM;
	if (!t || !space_controls(self->space, t->space) || f->rsi > 255 || f->rdx == 0 || f->rdx > 1000)
		return L4_EINVAL;
	bool queued = t->state == T_READY && t != self;
	if (queued)
		sched_unready(t);
	t->prio = f->rsi;
	t->timeslice = t->remaining = f->rdx;
	if (queued)
		sched_ready(t);
	this_cpu()->need_resched = true;
	return L4_OK;
}

/* Writes the user buffer rdi, length rsi (at most 4 KiB) to the console,
 * 16 bytes between preemption points: the UART is polled, and a real one
 * takes about 1.4 ms for 16 bytes at 115200 baud. rdi and rsi advance as
 * it goes, so a restart continues where it stopped. */
static int sys_kdb_write(struct tcb *self, struct trapframe *f)
{
	char buf[16];
	if (f->rsi > 4096)
		return L4_EINVAL;
	while (f->rsi) {
		size_t c = f->rsi < sizeof(buf) ? f->rsi : sizeof(buf);
		if (!space_copy_from_user(self->space, buf, f->rdi, c))
			return L4_EINVAL;
		for (size_t i = 0; i < c; i++)
			console_putc(buf[i]);
		f->rdi += c;
		f->rsi -= c;
		if (f->rsi && sched_preempt_point())
			return SYSCALL_RESTART;
	}
	return L4_OK;
}

/* Names a thread for debuggers (the kernel's debug description). */
static int sys_debug_name(struct tcb *self, struct trapframe *f)
{
	struct tcb *t = thread_lookup(f->rdi);
	if (!self->space->privileged)
		return L4_EPERM;
	if (!t || !space_controls(self->space, t->space))
		return L4_EINVAL;
	memcpy(t->name, &f->rsi, 8);
	memcpy(t->name + 8, &f->rdx, 8);
	t->name[15] = 0;
	mkvm_kdebug_named(t);
	return L4_OK;
}

/* Read by the kinfo leaf in entry.S, which answers L4_SYS_KINFO. */
_Static_assert(L4_SYS_KINFO == 8, "entry.S's L4_SYS_KINFO");
uint64_t kinfo_flags_word;
const uint64_t kinfo_tick_us = TICK_US;

/* The features are final (the command line may have turned PCID off). */
void syscall_init(void)
{
	kinfo_flags_word = (feat.pcid ? L4_KINFO_PCID : 0) | (feat.invpcid ? L4_KINFO_INVPCID : 0) |
			   (feat.smep ? L4_KINFO_SMEP : 0) | (feat.smap ? L4_KINFO_SMAP : 0) |
			   (feat.nx ? L4_KINFO_NX : 0) | (feat.fsgsbase ? L4_KINFO_FSGSBASE : 0) |
			   (feat.tsc_deadline ? L4_KINFO_TSCDEADLINE : 0) | (feat.pku ? L4_KINFO_PKU : 0);
}

/* A system call that stopped at a preemption point (SYSCALL_RESTART) runs
 * again when its thread next runs: rip goes back to the SYSCALL instruction
 * (two bytes) with the call number in rax and the arguments as the call
 * left them in the frame. */
void syscall_dispatch(struct trapframe *f)
{
	struct tcb *self = current();
	uint64_t nr = f->rax;
	int r;
	switch (nr) {
	case L4_SYS_IPC:
		r = ipc(self, f->rdi, f->rsi, f->rdx);   /* the fast path declined (entry.S) */
		break;
	case L4_SYS_THREAD_CONTROL:
		r = sys_thread_control(self, f);
		break;
	case L4_SYS_UNMAP:
		r = space_unmap_fpage(self->space, f->rdi, f->rsi & L4_UNMAP_SELF, &f->rdx);
		break;
	case L4_SYS_EXREGS:
		r = sys_exregs(self, f);
		break;
	case L4_SYS_THREAD_SWITCH:
		r = L4_OK;
		sched_yield_to(thread_lookup(f->rdi));
		break;
	case L4_SYS_SCHEDULE:
		r = sys_schedule(self, f);
		break;
	case L4_SYS_IRQ_CONTROL:
		r = irq_control(self, f);
		break;
	case L4_SYS_KDB_WRITE:
		r = sys_kdb_write(self, f);
		break;
	case L4_SYS_DEBUG_NAME:
		r = sys_debug_name(self, f);
		break;
	case L4_SYS_ZONE_CONTROL:
		r = zone_control(self, f);
		break;
	default:
		r = L4_EINVAL;
	}
	if (r == SYSCALL_RESTART) {
		f->rip -= 2;
		f->rax = nr;
	} else {
		f->rax = r;
	}
	if (this_cpu()->need_resched)
		schedule();
}
