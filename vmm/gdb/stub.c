/* Command dispatch of the GDB remote stub (GDB manual, "Remote Serial
 * Protocol": "Packets", "Stop Reply Packets", "General Query Packets"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gdb/stub.h"

#define SIGINT_NR	2
#define SIGTRAP_NR	5

#define TID_ALL		UINT64_MAX	/* "-1": every thread */

/* Errors use the errno numbers gdb documents for the 'E' replies it
 * reads, though gdb itself only checks for the 'E'. */
#define E_FAULT		"E0e"
#define E_INVAL		"E16"

void gdb_stub__init(struct gdb_stub *s, const struct gdb_target *t)
{
	memset(s, 0, sizeof(*s));
	s->t = *t;
	gdb_rx__init(&s->rx);
	s->state = GDB_STOPPED;
	s->c_all = true;
	s->g_pid = s->stop_pid = GDB_PID_VCPUS;
	s->g_tid = s->stop_tid = 1;
	s->tf_thread = -1;
	/* Reported as a trap, as a stop at attach is reported by other stubs
	 * (gdb then shows no "signal received"). */
	s->last = (struct gdb_stop){ .kind = GDB_STOP_DEBUG, .exception = 1 };
}

void gdb_stub__set_os(struct gdb_stub *s, uint64_t kdesc, const char *programs,
		      uint64_t named)
{
	s->kdesc_set = s->os = true;
	s->kdesc = kdesc;
	s->named_hook = named;
	snprintf(s->programs, sizeof(s->programs), "%s", programs);
}

/* ---- replies ---- */

static void reply__set(struct gdb_stub *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply__set(struct gdb_stub *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->reply, sizeof(s->reply), fmt, ap);
	va_end(ap);
	s->reply_len = n < 0 ? 0 : (size_t)n < sizeof(s->reply) ?
		(size_t)n : sizeof(s->reply) - 1;
}

static void stub__send_packet(struct gdb_stub *s, const char *data,
			      size_t len)
{
	size_t n = gdb_frame(s->last_frame, sizeof(s->last_frame), data, len);

	s->last_frame_len = n;
	if (n)
		s->t.send(s->t.ctx, s->last_frame, n);
}

void gdb_stub__console(struct gdb_stub *s, const char *text)
{
	char buf[GDB_PACKET_MAX + 1];
	size_t len = strlen(text);

	if (len > (sizeof(buf) - 2) / 2)
		len = (sizeof(buf) - 2) / 2;
	buf[0] = 'O';
	gdb_hex_encode(buf + 1, (const uint8_t *)text, len);
	stub__send_packet(s, buf, 1 + 2 * len);
}

/* ---- stop replies ---- */

/* A thread id as gdb reads it: "pPID.TID" once multiprocess is agreed. */
static int thread__format(const struct gdb_stub *s, char *buf, size_t len,
			  uint64_t pid, uint64_t tid)
{
	if (s->multi)
		return snprintf(buf, len, "p%llx.%llx", (unsigned long long)pid,
				(unsigned long long)tid);
	return snprintf(buf, len, "%llx", (unsigned long long)tid);
}

/* The T packet for s->last, with the reason gdb needs to report a
 * breakpoint or watchpoint hit without guessing from the PC. */
static void stop__reply(struct gdb_stub *s)
{
	const struct gdb_stop *st = &s->last;
	char tid[48];
	int slot;

	thread__format(s, tid, sizeof(tid), s->stop_pid, s->stop_tid);
	if (st->kind == GDB_STOP_INTERRUPT) {
		reply__set(s, "T%02xthread:%s;", SIGINT_NR, tid);
		return;
	}
	if (st->exception == 3) {
		reply__set(s, "T%02xthread:%s;swbreak:;", SIGTRAP_NR, tid);
		return;
	}
	slot = gdb_bps__hw_hit(&s->bps, st->dr6);
	if (slot < 0) {			/* single step */
		reply__set(s, "T%02xthread:%s;", SIGTRAP_NR, tid);
		return;
	}
	switch (s->bps.hw[slot].type) {
	case GDB_BP_HW:
		reply__set(s, "T%02xthread:%s;hwbreak:;", SIGTRAP_NR, tid);
		break;
	case GDB_WP_WRITE:
		reply__set(s, "T%02xthread:%s;watch:%llx;", SIGTRAP_NR, tid,
			   (unsigned long long)s->bps.hw[slot].addr);
		break;
	case GDB_WP_READ:
		reply__set(s, "T%02xthread:%s;rwatch:%llx;", SIGTRAP_NR, tid,
			   (unsigned long long)s->bps.hw[slot].addr);
		break;
	default:
		reply__set(s, "T%02xthread:%s;awatch:%llx;", SIGTRAP_NR, tid,
			   (unsigned long long)s->bps.hw[slot].addr);
		break;
	}
}

/* Can a program's name become a file name in the programs directory? A
 * guest names its threads, so no path separators, no "..". */
static bool program__name_ok(const char *name)
{
	if (!name[0] || name[0] == '.')
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			return false;
	return true;
}

static bool program__shown(const struct gdb_stub *s, const char *name);

/* The first thread of a space (named: the first with a usable program
 * name, which names the space's program), into *num and *t. False if
 * none. */
static bool space__first_thread(struct gdb_stub *s, const struct mkvm_kdebug *d,
				long space, bool named, uint32_t *num,
				struct gdb_kthread *t)
{
	for (uint32_t n = 0; n < d->nthreads && n < GDB_KTHREADS_MAX; n++) {
		if (!gdb_kdebug__thread(s, d, n, t))
			return false;
		if (t->state != MKVM_KDEBUG_T_FREE && t->space == space &&
		    (!named || program__shown(s, t->name))) {
			*num = n;
			return true;
		}
	}
	return false;
}

/* The kernel thread running on vCPU 0 and its space, if the OS view has
 * them: 0, or -1. */
static int os__current(struct gdb_stub *s, struct mkvm_kdebug *d,
		       uint32_t *num, struct gdb_kthread *t)
{
	long cur;

	if (!s->multi || !gdb_kdebug__os_load(s, d))
		return -1;
	cur = gdb_kdebug__current(s, d);
	if (cur < 0 || !gdb_kdebug__thread(s, d, (uint32_t)cur, t) ||
	    t->space < 0)
		return -1;
	*num = (uint32_t)cur;
	return 0;
}

/* Selects vCPU cpu's thread for the stop (and for gdb's g, m, c). */
static void stop__select_vcpu(struct gdb_stub *s, unsigned cpu)
{
	s->g_cpu = s->c_cpu = cpu;
	s->g_pid = s->stop_pid = GDB_PID_VCPUS;
	s->g_tid = s->stop_tid = cpu + 1;
	s->g_space_cr3 = 0;
	s->stop_os_pid = 0;
}

/* Selects the thread a stop on cpu reports: the kernel thread vCPU 0 runs
 * in user mode (the kernel runs on vCPU 0 only), else the vCPU. */
static void stop__select(struct gdb_stub *s, unsigned cpu)
{
	struct gdb_kthread t, named;
	struct mkvm_kdebug d;
	struct gdb_regs r;
	uint32_t num, first;
	uint64_t cr3;

	stop__select_vcpu(s, cpu);
	if (cpu != 0 || os__current(s, &d, &num, &t))
		return;
	/* a stop in user mode belongs to the program, reported on its
	 * thread, so gdb finds the program's breakpoint there; a stop in the
	 * kernel belongs to the machine (the kernel's breakpoints are in
	 * process 1), and the console names the thread */
	if (s->t.get_regs(s->t.ctx, 0, &r) && (r.seg[0] & 3) == 3 &&
	    space__first_thread(s, &d, t.space, true, &first, &named) &&
	    gdb_kdebug__space_cr3(s, &d, t.space, &cr3)) {
		s->g_pid = s->stop_pid = GDB_PID_SPACE0 + (uint64_t)t.space;
		s->g_tid = s->stop_tid = num;
		s->g_space_cr3 = cr3;
		return;
	}
	s->stop_os_pid = GDB_PID_SPACE0 + (uint64_t)t.space;
	s->stop_os_tid = num;
	snprintf(s->stop_os_name, sizeof(s->stop_os_name), "%s", t.name);
}

/* Names the kernel thread a stop in the kernel happened in, on gdb's
 * console. */
static void stop__tell(struct gdb_stub *s)
{
	char line[160];

	if (!s->stop_os_pid)
		return;
	snprintf(line, sizeof(line), "vCPU %u was running %s%sthread %llu "
		 "(process %llu)\n", s->last.cpu, s->stop_os_name,
		 s->stop_os_name[0] ? " " : "",
		 (unsigned long long)s->stop_os_tid,
		 (unsigned long long)s->stop_os_pid);
	gdb_stub__console(s, line);
}

static void stub__resume(struct gdb_stub *s, int step_cpu);
static bool thread__valid(struct gdb_stub *s, uint64_t pid, uint64_t tid,
			  uint64_t *cr3);

/* Reports the stop on the first thread gdb let run (a stop in another
 * that gdb must see: Ctrl-C). */
static void stop__select_run(struct gdb_stub *s)
{
	uint64_t pid = s->run[0].pid, tid = s->run[0].tid, cr3;

	if (!pid || !thread__valid(s, pid, tid, &cr3))
		return;
	if (pid == GDB_PID_VCPUS) {	/* the vCPU, in whatever mode */
		stop__select_vcpu(s, (unsigned)tid - 1);
		return;
	}
	s->g_pid = s->stop_pid = pid;
	s->g_tid = s->stop_tid = tid;
	s->g_space_cr3 = cr3;
	s->stop_os_pid = 0;
}

/* Did gdb's last resume let some threads run only? Asked in the OS view
 * only, where every kernel thread runs on vCPU 0: without it, gdb's
 * threads are vCPUs, resumed and stepped each on its own. */
static bool run__restricted(const struct gdb_stub *s)
{
	return s->only && s->os && s->multi;
}

/* Did gdb's last resume let thread (pid, tid) run? (run[]: single
 * threads, pid 0 for any process) */
static bool run__lets(const struct gdb_stub *s, uint64_t pid, uint64_t tid)
{
	if (!run__restricted(s))
		return true;
	for (unsigned i = 0; i < s->nrun; i++)
		if ((!s->run[i].pid || s->run[i].pid == pid) &&
		    s->run[i].tid == tid)
			return true;
	return false;
}

/* The kernel thread vCPU 0 runs in user mode now, with vCPU 0's
 * registers in *r; -1 in the kernel, or if the OS view has none. */
static long user__current(struct gdb_stub *s, struct gdb_regs *r)
{
	struct mkvm_kdebug d;
	struct gdb_kthread t;
	uint32_t num;

	if (!s->t.get_regs(s->t.ctx, 0, r) || (r->seg[0] & 3) != 3 ||
	    os__current(s, &d, &num, &t))
		return -1;
	return num;
}

/* Takes a step's trap flag off the thread that may still hold it: off
 * vCPU 0 if it runs that thread in user mode, else off its saved flags. */
static void tf__drop(struct gdb_stub *s)
{
	struct mkvm_kdebug d;
	struct gdb_regs r;

	if (s->tf_thread < 0)
		return;
	if (user__current(s, &r) == s->tf_thread) {
		r.eflags &= ~GDB_RFLAGS_TF;
		s->t.set_regs(s->t.ctx, 0, &r);
	} else if (gdb_kdebug__os_load(s, &d)) {
		gdb_kdebug__frame_tf(s, &d, (uint32_t)s->tf_thread, false);
	}
	s->tf_thread = -1;
}

/* A single-step trap on vCPU 0 while gdb steps a kernel thread, or while
 * a thread's flags may hold a step's trap flag. False (report it): the
 * step gdb asked for is done, in that thread, in user mode; else resumes
 * (the step went into the kernel: a system call, or an interrupt where
 * KVM cannot hold them off during a step; the thread's saved flags keep
 * the trap flag, and it traps once back in user mode). */
static bool step__filter(struct gdb_stub *s)
{
	struct gdb_regs r;
	long cur = user__current(s, &r);

	if (cur >= 0 && (cur == s->tf_thread ||
			 (s->step.tid && (uint64_t)cur == s->step.tid))) {
		if (r.eflags & GDB_RFLAGS_TF) {
			r.eflags &= ~GDB_RFLAGS_TF;
			s->t.set_regs(s->t.ctx, 0, &r);
		}
		s->tf_thread = -1;
		if (s->step.tid == (uint64_t)cur) {
			s->step.tid = 0;
			return false;
		}
	} else if (s->step.tid && s->step.kvm) {
		s->step.kvm = false;
		s->tf_thread = (long)s->step.tid;
	}
	/* else the guest's own trap flag, while the stub takes every #DB */
	stub__resume(s, -1);
	return true;
}

/* A stop of a thread gdb did not let run (it resumed some only): not
 * reported. At a breakpoint of gdb's that thread is stepped past it (as
 * for another space's), past a debug register's with RF; a watchpoint's
 * trap is after the access. True if so (resumed). */
static bool stop__hidden(struct gdb_stub *s, const struct gdb_stop *st,
			 struct gdb_regs *r, bool at_int3)
{
	int slot;

	slot = gdb_bps__hw_hit(&s->bps, st->dr6);
	if (!run__restricted(s) || (!at_int3 && slot < 0))
		return false;		/* a step's trap: reported */
	stop__select(s, st->cpu);
	if (run__lets(s, s->stop_pid, s->stop_tid))
		return false;
	if (at_int3)
		return true;
	if (s->bps.hw[slot].pending_sw || s->bps.hw[slot].type == GDB_BP_HW) {
		r->eflags |= GDB_RFLAGS_RF;
		s->t.set_regs(s->t.ctx, st->cpu, r);
	}
	stub__resume(s, -1);
	return true;
}

static uint64_t cr3__base(uint64_t cr3)
{
	return cr3 & 0x000ffffffffff000ull;
}

/* Does a breakpoint of owner apply to code running under cr3? */
static bool bp__applies(uint64_t owner, uint64_t cr3)
{
	return !owner || owner == cr3__base(cr3);
}

static void bps__refresh(struct gdb_stub *s);

/* The kernel has named the thread whose TCB is at tcb (on cpu, in the
 * kernel, before that thread's first instruction): tells gdb, as a library
 * event on that thread, so that gdb adds its program's process, loads the
 * program's ELF, inserts the breakpoints that waited for its symbols and
 * resumes by itself. False (nothing sent) for a thread of no program gdb
 * can show. */
static bool stop__named(struct gdb_stub *s, const struct gdb_stop *st,
			uint64_t tcb)
{
	struct gdb_kthread t, first;
	struct mkvm_kdebug d;
	uint32_t first_num;
	uint64_t cr3;
	char tid[48];
	long num;

	if (!gdb_kdebug__os_load(s, &d) ||
	    (num = gdb_kdebug__thread_at(&d, tcb)) < 0 ||
	    !gdb_kdebug__thread(s, &d, (uint32_t)num, &t) || t.space < 0 ||
	    !space__first_thread(s, &d, t.space, true, &first_num, &first) ||
	    !gdb_kdebug__space_cr3(s, &d, t.space, &cr3))
		return false;
	s->last = *st;
	s->state = GDB_STOPPED;
	s->g_cpu = s->c_cpu = st->cpu;
	s->g_pid = s->stop_pid = GDB_PID_SPACE0 + (uint64_t)t.space;
	s->g_tid = s->stop_tid = (uint64_t)num;
	s->g_space_cr3 = cr3;
	s->stop_os_pid = 0;
	bps__refresh(s);
	thread__format(s, tid, sizeof(tid), s->stop_pid, s->stop_tid);
	reply__set(s, "T%02xlibrary:;thread:%s;", SIGTRAP_NR, tid);
	stub__send_packet(s, s->reply, s->reply_len);
	return true;
}

static bool hook__nop_at(struct gdb_stub *s, uint64_t *gpa_out);

/* Past the hook with vCPU st->cpu, which names the thread whose TCB is at
 * tcb: reports it, or while gdb lets some threads run only, at gdb's next
 * resume of every thread. */
static void hook__passed(struct gdb_stub *s, const struct gdb_stop *st,
			 uint64_t tcb)
{
	if (run__restricted(s))
		s->named_late = true;
	else if (stop__named(s, st, tcb))
		return;
	stub__resume(s, -1);
}

/* A stop the debugger need not see: an int3 of another space's breakpoint
 * in a frame this space shares (stepped over with the original byte), or
 * a pending breakpoint's debug register hit in another space (stepped
 * over with RFLAGS.RF). Resumes and returns true for those; converts a
 * pending breakpoint that is hit where it applies into an int3. */
static bool stop__filter(struct gdb_stub *s, const struct gdb_stop *st)
{
	static const uint8_t int3 = 0xcc;
	struct gdb_regs r;
	uint64_t gpa;
	bool ours = false, mine = false;
	int slot;

	if (s->over.active) {
		s->over.active = false;
		s->t.write_phys(s->t.ctx, s->over.gpa, &int3, 1);
		if (st->kind == GDB_STOP_DEBUG && st->exception == 1 &&
		    st->cpu == s->over.cpu && gdb_bps__hw_hit(&s->bps, st->dr6) < 0 &&
		    !(s->step.tid && s->step.kvm)) {
			stub__resume(s, -1);
			return true;
		}
		/* else that step was also gdb's */
	}
	if (st->kind == GDB_STOP_DEBUG && st->exception == 1 && st->cpu == 0 &&
	    (st->dr6 & GDB_DR6_BS) && (s->step.tid || s->tf_thread >= 0))
		return step__filter(s);
	if (st->kind != GDB_STOP_DEBUG || !s->t.get_regs(s->t.ctx, st->cpu, &r))
		return false;
	if (st->exception == 3) {
		bool hook = false;

		if (!gdb_mem__translate_in(s, r.cr3, r.rip, &gpa))
			return false;
		for (int i = 0; i < GDB_SW_BP_MAX; i++) {
			const struct gdb_sw_bp *b = &s->bps.sw[i];

			if (!b->used || b->gpa != gpa)
				continue;
			if (b->hook) {
				hook = true;
				continue;
			}
			ours = true;
			mine |= bp__applies(b->owner, r.cr3);
			if (!s->over.active) {
				s->over.gpa = gpa;
				s->over.cpu = st->cpu;
				s->over.orig = b->orig;
			}
		}
		if (mine && stop__hidden(s, st, &r, true))
			mine = false;
		if (hook && !mine) {
			/* the hook's int3 stands for a nop: done, once past it */
			r.rip++;
			s->t.set_regs(s->t.ctx, st->cpu, &r);
			hook__passed(s, st, r.gpr[GDB_REG_RDI]);
			return true;
		}
		if (!ours || mine)
			return false;
		s->over.active = true;
		s->t.write_phys(s->t.ctx, gpa, &s->over.orig, 1);
		stub__resume(s, (int)st->cpu);
		return true;
	}
	slot = gdb_bps__hw_hit(&s->bps, st->dr6);
	if (slot >= 0 && s->bps.hw[slot].hook) {
		/* past the hook once: past its nop (else the int3 that may
		 * replace the debug register at the resume would report the
		 * thread again), or with RF */
		if (hook__nop_at(s, NULL))
			r.rip++;
		else
			r.eflags |= GDB_RFLAGS_RF;
		s->t.set_regs(s->t.ctx, st->cpu, &r);
		hook__passed(s, st, r.gpr[GDB_REG_RDI]);
		return true;
	}
	if (slot < 0 || !s->bps.hw[slot].pending_sw)
		return stop__hidden(s, st, &r, false);
	if (!bp__applies(s->bps.hw[slot].owner, r.cr3)) {
		r.eflags |= GDB_RFLAGS_RF;	/* past the breakpoint once */
		s->t.set_regs(s->t.ctx, st->cpu, &r);
		stub__resume(s, -1);
		return true;
	}
	return stop__hidden(s, st, &r, false);
}

void gdb_stub__stopped(struct gdb_stub *s, const struct gdb_stop *stop)
{
	bool awaited = s->state == GDB_RUNNING;
	struct gdb_stop st = *stop;

	if (s->state == GDB_DETACHED)
		return;
	if (st.cpu >= s->t.ncpus)
		st.cpu = 0;
	if (awaited && stop__filter(s, &st))
		return;
	s->last = st;
	s->state = GDB_STOPPED;
	if (st.kind == GDB_STOP_DEBUG && st.exception == 1) {
		int slot = gdb_bps__hw_hit(&s->bps, st.dr6);

		if (slot >= 0 && s->bps.hw[slot].pending_sw)
			s->last.exception = 3;	/* gdb's software breakpoint */
	}
	bps__refresh(s);
	stop__select(s, s->last.cpu);
	if (!run__lets(s, s->stop_pid, s->stop_tid))
		stop__select_run(s);	/* Ctrl-C, or a step gdb did not ask */
	if (awaited) {
		stop__tell(s);
		stop__reply(s);
		stub__send_packet(s, s->reply, s->reply_len);
	}
}

void gdb_stub__exited(struct gdb_stub *s, int status)
{
	if (s->state == GDB_DETACHED)
		return;
	reply__set(s, "W%02x", status & 0xff);
	stub__send_packet(s, s->reply, s->reply_len);
	s->state = GDB_DETACHED;
}

/* ---- resuming ---- */

static bool sw_bp__place(struct gdb_stub *s, struct gdb_sw_bp *b,
			 uint64_t gpa);

#define NOP 0x90

/* The hook on the kernel's "thread named" function, whose first
 * instruction is a one-byte nop: an int3 over that nop once the kernel's
 * text is mapped (stepped past by moving RIP on: nothing to restore, no
 * single step); a debug register before (from the PVH entry, paging off),
 * which gdb's own hardware breakpoints may take. */
static bool hook__nop_at(struct gdb_stub *s, uint64_t *gpa_out)
{
	uint64_t gpa;
	uint8_t first;

	if (!gdb_mem__translate_in(s, 0, s->named_hook, &gpa) ||
	    !s->t.read_phys(s->t.ctx, gpa, &first, 1))
		return false;
	gdb_bps__shadow(&s->bps, gpa, &first, 1);
	if (gpa_out)
		*gpa_out = gpa;
	return first == NOP;
}

static void hook__arm(struct gdb_stub *s)
{
	struct gdb_sw_bp *b;
	uint64_t gpa;

	if (!s->os || !s->multi || !s->named_hook)
		return;
	for (int i = 0; i < GDB_SW_BP_MAX; i++)
		if (s->bps.sw[i].used && s->bps.sw[i].hook)
			return;
	if (hook__nop_at(s, &gpa) && (b = gdb_bps__sw_alloc(&s->bps))) {
		*b = (struct gdb_sw_bp){ .used = true, .va = s->named_hook,
					 .hook = true };
		if (sw_bp__place(s, b, gpa)) {
			gdb_bps__hook_disarm(&s->bps);
			return;
		}
		b->used = false;
	}
	gdb_bps__hook_arm(&s->bps, s->named_hook);
}

static void stub__resume(struct gdb_stub *s, int step_cpu)
{
	struct gdb_debug_cfg cfg = { .step_cpu = step_cpu };

	hook__arm(s);
	cfg.sw_bp = gdb_bps__sw_any(&s->bps);
	gdb_bps__debugregs(&s->bps, cfg.dr, &cfg.dr7);
	cfg.catch_db = s->tf_thread >= 0;
	s->state = GDB_RUNNING;
	s->t.resume(s->t.ctx, &cfg);
}

/* Resumes as gdb asked (s->only, s->run, s->step set): a vCPU's step on
 * step_cpu; a kernel thread's step by KVM's single step if vCPU 0 runs it
 * in user mode now, else by the trap flag in its saved flags (it traps
 * after its next user instruction). First, a program named while gdb let
 * some threads run only is reported instead. False (nothing done) if that
 * thread cannot be stepped. */
static bool resume__as_asked(struct gdb_stub *s, int step_cpu)
{
	struct mkvm_kdebug d;
	struct gdb_regs r;
	char tid[48];

	if (s->named_late && !run__restricted(s)) {
		s->named_late = false;
		thread__format(s, tid, sizeof(tid), s->stop_pid, s->stop_tid);
		reply__set(s, "T%02xlibrary:;thread:%s;", SIGTRAP_NR, tid);
		return true;
	}
	if (s->step.tid) {
		if (s->tf_thread >= 0 && (uint64_t)s->tf_thread != s->step.tid)
			tf__drop(s);
		if (user__current(s, &r) == (long)s->step.tid) {
			s->step.kvm = true;
			step_cpu = 0;
		} else if (gdb_kdebug__os_load(s, &d) &&
			   gdb_kdebug__frame_tf(s, &d, (uint32_t)s->step.tid, true)) {
			s->step.kvm = false;
			s->tf_thread = (long)s->step.tid;
			step_cpu = -1;
		} else {
			s->step.tid = 0;
			return false;
		}
	}
	stub__resume(s, step_cpu);
	return true;
}

static void sw_bp__remove_all(struct gdb_stub *s)
{
	for (int i = 0; i < GDB_SW_BP_MAX; i++) {
		struct gdb_sw_bp *b = &s->bps.sw[i];

		if (b->used)
			s->t.write_phys(s->t.ctx, b->gpa, &b->orig, 1);
	}
	memset(&s->bps, 0, sizeof(s->bps));
	s->over.active = false;
}

void gdb_stub__detach(struct gdb_stub *s)
{
	if (s->state == GDB_DETACHED)
		return;
	tf__drop(s);
	sw_bp__remove_all(s);
	s->state = GDB_DETACHED;
	s->t.resume(s->t.ctx, &(struct gdb_debug_cfg){ .step_cpu = -1 });
}

/* Optional "addr" after c/s: resume from there. */
static bool resume__set_pc(struct gdb_stub *s, unsigned cpu, const char *p)
{
	struct gdb_regs r;
	uint64_t pc;

	if (!*p)
		return true;
	if (!gdb_parse_hex(&p, &pc) || *p || !s->t.get_regs(s->t.ctx, cpu, &r))
		return false;
	r.rip = pc;
	return s->t.set_regs(s->t.ctx, cpu, &r);
}

/* c [addr], s [addr], C sig[;addr], S sig[;addr] (the signal is ignored:
 * there are no signals to deliver to a VM). */
static void cmd__resume(struct gdb_stub *s, const char *p, bool step)
{
	unsigned cpu = s->c_all ? s->last.cpu : s->c_cpu;
	uint64_t sig;

	if (p[0] == 'C' || p[0] == 'S') {
		p++;
		if (!gdb_parse_hex(&p, &sig) || (*p && *p != ';')) {
			reply__set(s, E_INVAL);
			return;
		}
		if (*p == ';')
			p++;
	} else {
		p++;
	}
	if (!resume__set_pc(s, cpu, p)) {
		reply__set(s, E_INVAL);
		return;
	}
	s->only = false;
	s->step.tid = 0;
	resume__as_asked(s, step ? (int)cpu : -1);
}

/* Parses a thread id: "-1" (all), "0" (any), "TID" (a vCPU), or with
 * multiprocess "pPID", "pPID.-1", "pPID.0", "pPID.TID". pid 0 is any. */
static bool thread__parse_id(const char **p, uint64_t *pid, uint64_t *tid)
{
	*pid = GDB_PID_VCPUS;
	if (**p == 'p') {
		(*p)++;
		if ((*p)[0] == '-' && (*p)[1] == '1') {
			*p += 2;
			*pid = 0;
		} else if (!gdb_parse_hex(p, pid)) {
			return false;
		}
		if (**p != '.') {
			*tid = TID_ALL;
			return true;
		}
		(*p)++;
	}
	if ((*p)[0] == '-' && (*p)[1] == '1') {
		*p += 2;
		*tid = TID_ALL;
		if (*pid == GDB_PID_VCPUS)
			*pid = 0;
		return true;
	}
	if (!gdb_parse_hex(p, tid))
		return false;
	if (*tid == 0 && *pid == GDB_PID_VCPUS)
		*pid = 0;
	return true;
}

/* Does (pid, tid) name something that exists? tid 0 or TID_ALL: any of the
 * process's threads. Gives the kernel thread's space cr3 for a kernel
 * process. */
static bool thread__valid(struct gdb_stub *s, uint64_t pid, uint64_t tid,
			  uint64_t *cr3)
{
	struct mkvm_kdebug d;
	struct gdb_kthread t;

	*cr3 = 0;
	if (pid == 0)
		return true;
	if (pid == GDB_PID_VCPUS)
		return tid == 0 || tid == TID_ALL || tid <= s->t.ncpus;
	if (!s->multi || pid < GDB_PID_SPACE0 || !gdb_kdebug__os_load(s, &d) ||
	    !gdb_kdebug__space_cr3(s, &d, (long)(pid - GDB_PID_SPACE0), cr3))
		return false;
	if (tid == 0 || tid == TID_ALL)
		return true;
	return tid < d.nthreads && gdb_kdebug__thread(s, &d, (uint32_t)tid, &t) &&
	       t.state != MKVM_KDEBUG_T_FREE &&
	       t.space == (long)(pid - GDB_PID_SPACE0);
}

/* Parses a thread-id field for vCont: the thread (pid 0: any process) and
 * the vCPU it runs on (-1: all or any). Kernel threads run on vCPU 0. */
static bool thread__parse(struct gdb_stub *s, const char **p, uint64_t *pid_out,
			  uint64_t *tid_out, int *cpu)
{
	uint64_t pid, tid, cr3;

	if (!thread__parse_id(p, &pid, &tid) || !thread__valid(s, pid, tid, &cr3))
		return false;
	*pid_out = pid;
	*tid_out = tid;
	if (pid == GDB_PID_VCPUS && tid != TID_ALL && tid)
		*cpu = (int)tid - 1;
	else if (pid >= GDB_PID_SPACE0)
		*cpu = 0;
	else
		*cpu = -1;
	return true;
}

/* vCont;ACTION[:TID](;ACTION[:TID])*. Every vCPU runs; the first step
 * action's vCPU, or kernel thread, single-steps. If every action names
 * one thread (gdb stepping one thread past a breakpoint, or
 * scheduler-locking on), only those run as far as gdb can tell: the
 * others' stops are not reported (stop__hidden). An action for a whole
 * process ("pPID.-1": gdb resumes its current inferior's threads, with
 * schedule-multiple off) lets every thread run: the kernel runs them
 * all, and gdb takes the stops of the others. */
static void cmd__vcont(struct gdb_stub *s, const char *p)
{
	int step_cpu = -1;
	bool stepping = false;

	if (*p != ';') {
		reply__set(s, E_INVAL);
		return;
	}
	s->only = true;
	s->nrun = 0;
	s->step.tid = 0;
	while (*p == ';') {
		char action = *++p;
		uint64_t sig, pid = 0, tid = TID_ALL;
		int cpu = -1;

		if (action != 'c' && action != 'C' && action != 's' &&
		    action != 'S')
			goto bad;
		p++;
		if ((action == 'C' || action == 'S') && !gdb_parse_hex(&p, &sig))
			goto bad;
		if (*p == ':' && (p++, !thread__parse(s, &p, &pid, &tid, &cpu)))
			goto bad;
		if (!tid || tid == TID_ALL ||
		    s->nrun == sizeof(s->run) / sizeof(s->run[0])) {
			s->only = false;
		} else {
			s->run[s->nrun].pid = pid;
			s->run[s->nrun++].tid = tid;
		}
		if ((action == 's' || action == 'S') && !stepping) {
			stepping = true;
			if (pid >= GDB_PID_SPACE0 && tid && tid != TID_ALL)
				s->step.tid = tid;
			else
				step_cpu = cpu >= 0 ? cpu : (int)s->last.cpu;
		}
	}
	if (*p)
		goto bad;
	if (!resume__as_asked(s, step_cpu))
		reply__set(s, E_INVAL);
	return;
bad:
	s->only = false;
	s->step.tid = 0;
	reply__set(s, E_INVAL);
}

/* ---- registers and memory ---- */

/* The kernel thread the Hg selection names (its own, or for "any thread"
 * the first of its space), vCPU 0's registers, and whether vCPU 0 is
 * running the thread's user code now (in the kernel, on its behalf or
 * not, its user state is the one it saved). */
static bool sel__kthread(struct gdb_stub *s, struct mkvm_kdebug *d,
			 uint32_t *num, struct gdb_regs *vcpu0, bool *live)
{
	struct gdb_kthread t;

	if (s->g_pid < GDB_PID_SPACE0 || !gdb_kdebug__os_load(s, d) ||
	    !s->t.get_regs(s->t.ctx, 0, vcpu0))
		return false;
	if (s->g_tid && s->g_tid != TID_ALL)
		*num = (uint32_t)s->g_tid;
	else if (!space__first_thread(s, d, (long)(s->g_pid - GDB_PID_SPACE0),
				      false, num, &t))
		return false;
	*live = gdb_kdebug__current(s, d) == (long)*num && (vcpu0->seg[0] & 3) == 3;
	return true;
}

/* Registers of the selected thread: a vCPU's, a kernel thread's that
 * vCPU 0 runs in user mode (vCPU 0's), or the user registers one in the
 * kernel or switched out has saved, with vCPU 0's control registers and
 * its space's CR3. */
static bool sel__get_regs(struct gdb_stub *s, struct gdb_regs *r)
{
	struct mkvm_kdebug d;
	uint32_t num;
	bool live;

	if (s->g_pid < GDB_PID_SPACE0)
		return s->t.get_regs(s->t.ctx, s->g_cpu, r);
	if (!sel__kthread(s, &d, &num, r, &live))
		return false;
	if (live)
		return true;
	r->cr3 = s->g_space_cr3;
	return gdb_kdebug__frame_regs(s, &d, num, r);
}

static bool sel__set_regs(struct gdb_stub *s, const struct gdb_regs *r)
{
	struct mkvm_kdebug d;
	struct gdb_regs vcpu0;
	uint32_t num;
	bool live;

	if (s->g_pid < GDB_PID_SPACE0)
		return s->t.set_regs(s->t.ctx, s->g_cpu, r);
	if (!sel__kthread(s, &d, &num, &vcpu0, &live))
		return false;
	if (live)
		return s->t.set_regs(s->t.ctx, 0, r);
	return gdb_kdebug__set_frame_regs(s, &d, num, r);
}

static void cmd__read_regs(struct gdb_stub *s)
{
	struct gdb_regs r;

	if (!sel__get_regs(s, &r)) {
		reply__set(s, E_FAULT);
		return;
	}
	gdb_regs__encode(&r, s->reply);
	/* gdb reads a kernel thread's process without this stub's target
	 * description (it fetches one per connection, not per process):
	 * with its own amd64 registers once the program's ELF is loaded */
	s->reply_len = s->g_pid >= GDB_PID_SPACE0 ? gdb_regs__hex_size_amd64()
						  : gdb_regs__hex_size();
}

static void cmd__write_regs(struct gdb_stub *s, const char *hex, size_t len)
{
	struct gdb_regs r;

	if (!sel__get_regs(s, &r) || !gdb_regs__decode(&r, hex, len)) {
		reply__set(s, E_INVAL);
		return;
	}
	reply__set(s, sel__set_regs(s, &r) ? "OK" : E_FAULT);
}

static void cmd__read_reg(struct gdb_stub *s, const char *p)
{
	struct gdb_regs r;
	uint64_t n;

	if (!gdb_parse_hex(&p, &n) || *p || n >= GDB_REG_COUNT) {
		reply__set(s, E_INVAL);
		return;
	}
	if (!sel__get_regs(s, &r)) {
		reply__set(s, E_FAULT);
		return;
	}
	s->reply_len = gdb_regs__encode_one(&r, (unsigned)n, s->reply);
}

static void cmd__write_reg(struct gdb_stub *s, const char *p, size_t len)
{
	const char *start = p;
	struct gdb_regs r;
	uint64_t n;

	if (!gdb_parse_hex(&p, &n) || *p != '=' || n >= GDB_REG_COUNT ||
	    !sel__get_regs(s, &r) ||
	    !gdb_regs__decode_one(&r, (unsigned)n, p + 1,
				  len - (size_t)(p + 1 - start))) {
		reply__set(s, E_INVAL);
		return;
	}
	reply__set(s, sel__set_regs(s, &r) ? "OK" : E_FAULT);
}

/* "ADDR,LEN" followed by end (m) or ':' (M, X). */
static bool addr_len__parse(const char **p, uint64_t *addr, uint64_t *len)
{
	return gdb_parse_hex(p, addr) && *(*p)++ == ',' &&
	       gdb_parse_hex(p, len);
}

static void cmd__read_mem(struct gdb_stub *s, const char *p)
{
	uint8_t buf[GDB_PACKET_MAX / 2];
	uint64_t addr, len;
	size_t n;

	if (!addr_len__parse(&p, &addr, &len) || *p) {
		reply__set(s, E_INVAL);
		return;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);	/* a short reply is allowed */
	n = gdb_mem__read(s, addr, buf, (size_t)len);
	if (n == 0 && len) {
		reply__set(s, E_FAULT);
		return;
	}
	gdb_hex_encode(s->reply, buf, n);
	s->reply_len = 2 * n;
}

/* M (hex data) and X (binary data, escaped). */
static void cmd__write_mem(struct gdb_stub *s, char *p, size_t plen,
			   bool binary)
{
	uint8_t buf[GDB_PACKET_MAX];
	const char *q = p;
	uint64_t addr, len;
	size_t data_len;
	long n;

	if (!addr_len__parse(&q, &addr, &len) || *q != ':' ||
	    len > sizeof(buf)) {
		reply__set(s, E_INVAL);
		return;
	}
	q++;
	data_len = plen - (size_t)(q - p);
	if (binary) {
		n = gdb_unescape((char *)q, data_len);
		if (n < 0 || (uint64_t)n != len) {
			reply__set(s, E_INVAL);
			return;
		}
		memcpy(buf, q, (size_t)n);
	} else if (data_len != 2 * len || !gdb_hex_decode(buf, q, len)) {
		reply__set(s, E_INVAL);
		return;
	}
	if (gdb_mem__write(s, addr, buf, (size_t)len) != len)
		reply__set(s, E_FAULT);
	else
		reply__set(s, "OK");
}

/* ---- breakpoints ---- */

/* The space a breakpoint at va set now belongs to: the selected kernel
 * space's for a user address, every space's otherwise. */
static uint64_t bp__owner(const struct gdb_stub *s, uint64_t va)
{
	return s->g_space_cr3 && va < 0x0000800000000000ull ? s->g_space_cr3 : 0;
}

/* Another breakpoint of ours whose int3 is at gpa (other than b). */
static struct gdb_sw_bp *sw_bp__at(struct gdb_stub *s, uint64_t gpa,
				   const struct gdb_sw_bp *b)
{
	for (int i = 0; i < GDB_SW_BP_MAX; i++)
		if (s->bps.sw[i].used && &s->bps.sw[i] != b &&
		    s->bps.sw[i].gpa == gpa)
			return &s->bps.sw[i];
	return NULL;
}

/* Writes b's int3 at gpa, remembering the byte under it (which is another
 * breakpoint's original if that one is there already). */
static bool sw_bp__place(struct gdb_stub *s, struct gdb_sw_bp *b, uint64_t gpa)
{
	static const uint8_t int3 = 0xcc;
	const struct gdb_sw_bp *other = sw_bp__at(s, gpa, b);
	uint8_t orig;

	if (other)
		orig = other->orig;
	else if (!s->t.read_phys(s->t.ctx, gpa, &orig, 1) ||
		 !s->t.write_phys(s->t.ctx, gpa, &int3, 1))
		return false;
	b->gpa = gpa;
	b->orig = orig;
	return true;
}

/* Puts back the byte under b's int3, unless another breakpoint still
 * wants an int3 there. */
static void sw_bp__unplace(struct gdb_stub *s, struct gdb_sw_bp *b)
{
	uint8_t now;

	if (sw_bp__at(s, b->gpa, b))
		return;
	/* the frame may hold something else by now: restore only our int3 */
	if (s->t.read_phys(s->t.ctx, b->gpa, &now, 1) && now == 0xcc)
		s->t.write_phys(s->t.ctx, b->gpa, &b->orig, 1);
}

static bool sw_bp__insert(struct gdb_stub *s, uint64_t va)
{
	uint64_t owner = bp__owner(s, va), gpa;
	struct gdb_sw_bp *b;

	if (gdb_bps__sw_find(&s->bps, va, owner) ||
	    gdb_bps__pending_find(&s->bps, va, owner) >= 0)
		return true;
	b = gdb_bps__sw_alloc(&s->bps);
	if (!b)
		return false;
	*b = (struct gdb_sw_bp){ .used = true, .va = va, .owner = owner };
	if (s->phys)
		gpa = va;
	else if (!gdb_mem__translate(s, va, &gpa, NULL))
		gpa = ~0ull;
	if (gpa != ~0ull && sw_bp__place(s, b, gpa))
		return true;
	b->used = false;
	/* not mapped yet (or not to RAM, as a kernel address is before
	 * paging): a debug register stands in until it is */
	return !s->phys && gdb_bps__pending_insert(&s->bps, va, owner) >= 0;
}

static bool sw_bp__remove(struct gdb_stub *s, uint64_t va)
{
	uint64_t owner = bp__owner(s, va);
	struct gdb_sw_bp *b = gdb_bps__sw_find(&s->bps, va, owner);
	int slot = gdb_bps__pending_find(&s->bps, va, owner);

	if (slot >= 0) {
		memset(&s->bps.hw[slot], 0, sizeof(s->bps.hw[slot]));
		return true;
	}
	if (!b)
		return false;
	sw_bp__unplace(s, b);
	b->used = false;
	return true;
}

/* At every stop: a breakpoint whose page was unmapped waits in a debug
 * register again, one whose page now maps another frame moves there, and
 * a pending one whose page is mapped gets its int3. Kernel breakpoints
 * (owner 0) stay where they are. */
static void bps__refresh(struct gdb_stub *s)
{
	uint64_t gpa;

	if (s->phys)
		return;
	for (int i = 0; i < GDB_SW_BP_MAX; i++) {
		struct gdb_sw_bp *b = &s->bps.sw[i];

		if (!b->used || !b->owner)
			continue;
		if (gdb_mem__translate_in(s, b->owner, b->va, &gpa) && gpa == b->gpa)
			continue;
		sw_bp__unplace(s, b);
		b->used = false;
		if (gdb_mem__translate_in(s, b->owner, b->va, &gpa)) {
			b->used = true;
			if (!sw_bp__place(s, b, gpa))
				b->used = false;
		} else {
			gdb_bps__pending_insert(&s->bps, b->va, b->owner);
		}
	}
	for (int i = 0; i < GDB_HW_SLOTS; i++) {
		struct gdb_hw_bp *h = &s->bps.hw[i];
		struct gdb_sw_bp *b;

		if (!h->used || !h->pending_sw ||
		    !gdb_mem__translate_in(s, h->owner, h->addr, &gpa) ||
		    !(b = gdb_bps__sw_alloc(&s->bps)))
			continue;
		*b = (struct gdb_sw_bp){ .used = true, .va = h->addr, .owner = h->owner };
		if (sw_bp__place(s, b, gpa))
			memset(h, 0, sizeof(*h));
		else
			b->used = false;
	}
}

/* Z/z TYPE,ADDR,KIND */
static void cmd__breakpoint(struct gdb_stub *s, const char *p, bool insert)
{
	uint64_t type, addr, kind;
	bool ok;

	p++;
	if (!gdb_parse_hex(&p, &type) || *p++ != ',' ||
	    !addr_len__parse(&p, &addr, &kind) || (*p && *p != ';')) {
		reply__set(s, E_INVAL);
		return;
	}
	if (type > GDB_WP_ACCESS) {
		reply__set(s, "%s", "");	/* unsupported type */
		return;
	}
	if (type == GDB_BP_SW)
		ok = insert ? sw_bp__insert(s, addr) : sw_bp__remove(s, addr);
	else if (insert)
		ok = gdb_bps__hw_insert(&s->bps, type, addr, kind) == 0;
	else
		ok = gdb_bps__hw_remove(&s->bps, type, addr, kind) == 0;
	reply__set(s, ok ? "OK" : E_INVAL);
}

/* ---- queries ---- */

/* qfThreadInfo takes a snapshot of every thread id; it and qsThreadInfo
 * send it a packet's worth at a time. */
/* Lists the vCPUs, then the threads of every space whose program is known
 * (gdb could not read the others' registers without its ELF). */
static void thread_list__build(struct gdb_stub *s)
{
	struct mkvm_kdebug d;
	struct gdb_kthread t;
	uint8_t *known;

	s->list_len = s->list_next = 0;
	for (unsigned i = 0; i < s->t.ncpus && i < 64; i++)
		s->list[s->list_len].pid = GDB_PID_VCPUS,
		s->list[s->list_len++].tid = i + 1;
	if (!s->multi || !gdb_kdebug__os_load(s, &d) ||
	    !(known = calloc(d.nspaces, 1)))
		return;
	for (uint32_t n = 0; n < d.nthreads && n < GDB_KTHREADS_MAX; n++) {
		if (!gdb_kdebug__thread(s, &d, n, &t))
			break;
		if (t.state != MKVM_KDEBUG_T_FREE && t.space >= 0 &&
		    program__shown(s, t.name))
			known[t.space] = 1;
	}
	for (uint32_t n = 0; n < d.nthreads && n < GDB_KTHREADS_MAX; n++) {
		if (!gdb_kdebug__thread(s, &d, n, &t))
			break;
		if (t.state == MKVM_KDEBUG_T_FREE || t.space < 0 || !known[t.space])
			continue;
		s->list[s->list_len].pid = GDB_PID_SPACE0 + (uint32_t)t.space;
		s->list[s->list_len++].tid = n;
	}
	free(known);
}

static void xfer__reply(struct gdb_stub *s, const char *data, size_t size,
			uint64_t off, uint64_t len);

/* One word of a boot.cfg line: its length, copied into buf (cap bytes)
 * when it fits, else buf emptied. */
static size_t word__copy(const char *p, const char *end, char *buf, size_t cap)
{
	size_t n = 0;

	while (p + n < end && p[n] != ' ' && p[n] != '\t')
		n++;
	if (n < cap) {
		memcpy(buf, p, n);
		buf[n] = '\0';
	} else {
		buf[0] = '\0';
	}
	return n;
}

void gdb_stub__set_aliases(struct gdb_stub *s, const char *text, size_t len)
{
	const char *end = text + len;

	s->naliases = 0;
	for (const char *line = text; line < end && s->naliases < GDB_ALIASES_MAX;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		char name[MKVM_KDEBUG_NAME], word[MKVM_KDEBUG_NAME + 4];
		const char *p = line;

		if (!eol)
			eol = end;
		p += word__copy(p, eol, name, sizeof(name));
		while (p < eol) {
			if (*p == ' ' || *p == '\t') {
				p++;
				continue;
			}
			p += word__copy(p, eol, word, sizeof(word));
			if (strncmp(word, "elf=", 4) || !program__name_ok(name) ||
			    !program__name_ok(word + 4))
				continue;
			memcpy(s->alias[s->naliases].name, name, sizeof(name));
			memcpy(s->alias[s->naliases].elf, word + 4, MKVM_KDEBUG_NAME);
			s->naliases++;
			break;
		}
		line = eol + 1;
	}
}

/* The ELF file of program name: its elf= in the boot configuration, or
 * the file of its name. */
static const char *program__elf(const struct gdb_stub *s, const char *name)
{
	for (unsigned i = 0; i < s->naliases; i++)
		if (!strcmp(s->alias[i].name, name))
			return s->alias[i].elf;
	return name;
}

void gdb_stub__set_files(struct gdb_stub *s, const char *names, size_t len)
{
	s->files_set = true;
	s->files_len = len < sizeof(s->files) ? len : sizeof(s->files);
	memcpy(s->files, names, s->files_len);
}

/* Is name a program gdb can be given: a plain file name, whose ELF (its
 * own or its elf=) is in the programs directory? */
static bool program__shown(const struct gdb_stub *s, const char *name)
{
	const char *elf, *p, *end = s->files + s->files_len;
	size_t n;

	if (!program__name_ok(name))
		return false;
	if (!s->files_set)
		return true;
	elf = program__elf(s, name);
	n = strlen(elf);
	for (p = s->files; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			break;
		if ((size_t)(eol - p) == n && !memcmp(p, elf, n))
			return true;
		p = eol + 1;
	}
	return false;
}

/* qXfer:exec-file:read:PID:OFFSET,LENGTH: the ELF gdb loads into the
 * process of a space, PROGRAMS/NAME. */
static void cmd__xfer_exec_file(struct gdb_stub *s, const char *p)
{
	char path[GDB_PROGRAMS_MAX + MKVM_KDEBUG_NAME + 2];
	struct mkvm_kdebug d;
	struct gdb_kthread t;
	uint32_t num;
	uint64_t pid = s->g_pid, off, len;
	size_t plen;

	if (*p != ':' && !gdb_parse_hex(&p, &pid)) {
		reply__set(s, E_INVAL);
		return;
	}
	if (*p++ != ':' || !addr_len__parse(&p, &off, &len) || *p) {
		reply__set(s, E_INVAL);
		return;
	}
	if (!s->multi || pid < GDB_PID_SPACE0 || !gdb_kdebug__os_load(s, &d) ||
	    !space__first_thread(s, &d, (long)(pid - GDB_PID_SPACE0), true, &num, &t)) {
		reply__set(s, "E00");
		return;
	}
	plen = (size_t)snprintf(path, sizeof(path), "%s/%s", s->programs,
				program__elf(s, t.name));
	xfer__reply(s, path, plen, off, len);
}

static void thread_list__send(struct gdb_stub *s)
{
	size_t o = 0;

	if (s->list_next >= s->list_len) {
		reply__set(s, "l");
		return;
	}
	s->reply[o++] = 'm';
	for (; s->list_next < s->list_len && o + 40 < sizeof(s->reply);
	     s->list_next++) {
		if (o > 1)
			s->reply[o++] = ',';
		o += (size_t)thread__format(s, s->reply + o, sizeof(s->reply) - o,
					    s->list[s->list_next].pid,
					    s->list[s->list_next].tid);
	}
	s->reply_len = o;
}

/* qThreadExtraInfo: what gdb shows beside a thread's id. */
static void cmd__thread_extra(struct gdb_stub *s, const char *p)
{
	struct mkvm_kdebug d;
	struct gdb_kthread t;
	uint64_t pid, tid, cr3;
	uint32_t cur;
	char text[96];
	int n;

	if (!thread__parse_id(&p, &pid, &tid) || *p || !tid || tid == TID_ALL ||
	    !pid || !thread__valid(s, pid, tid, &cr3)) {
		reply__set(s, E_INVAL);
		return;
	}
	if (pid == GDB_PID_VCPUS && tid == 1 && !os__current(s, &d, &cur, &t))
		n = snprintf(text, sizeof(text), "vCPU 0, running %s%sthread %llu.%llu",
			     t.name, t.name[0] ? " " : "",
			     (unsigned long long)(t.id >> 16),
			     (unsigned long long)(t.id & 0xffff));
	else if (pid == GDB_PID_VCPUS)
		n = snprintf(text, sizeof(text), "vCPU %u", (unsigned)tid - 1);
	else if (gdb_kdebug__os_load(s, &d) &&
		 gdb_kdebug__thread(s, &d, (uint32_t)tid, &t))
		n = snprintf(text, sizeof(text), "%s%s%s, thread %llu.%llu%s",
			     t.name, t.name[0] ? ": " : "",
			     gdb_kdebug__state_name(t.state),
			     (unsigned long long)(t.id >> 16),
			     (unsigned long long)(t.id & 0xffff),
			     gdb_kdebug__current(s, &d) == (long)tid ?
			     ", running" : "");
	else
		n = snprintf(text, sizeof(text), "?");
	gdb_hex_encode(s->reply, (const uint8_t *)text, (size_t)n);
	s->reply_len = 2 * (size_t)n;
}

/* A qXfer read of [off, off + len) of data: "m" and the bytes while more
 * follow, "l" and the last ones. */
static void xfer__reply(struct gdb_stub *s, const char *data, size_t size,
			uint64_t off, uint64_t len)
{
	size_t used;

	if (off >= size) {
		reply__set(s, "l");
		return;
	}
	if (len > sizeof(s->reply) - 2)
		len = sizeof(s->reply) - 2;
	if (len > size - off)
		len = size - off;
	s->reply_len = 1 + gdb_escape(s->reply + 1, (size_t)len,
				      (const uint8_t *)data + off, (size_t)len, &used);
	s->reply[0] = off + used < size ? 'm' : 'l';
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void cmd__xfer_features(struct gdb_stub *s, const char *p)
{
	const char *xml = gdb_regs__target_xml();
	uint64_t off, len;

	if (strncmp(p, "target.xml:", 11) != 0) {
		reply__set(s, "E00");
		return;
	}
	p += 11;
	if (!addr_len__parse(&p, &off, &len) || *p) {
		reply__set(s, E_INVAL);
		return;
	}
	xfer__reply(s, xml, strlen(xml), off, len);
}

static void cmd__monitor(struct gdb_stub *s, const char *hex)
{
	char cmd[256];
	size_t n = strlen(hex);

	if (n % 2 || n / 2 >= sizeof(cmd) ||
	    !gdb_hex_decode((uint8_t *)cmd, hex, n / 2)) {
		reply__set(s, E_INVAL);
		return;
	}
	cmd[n / 2] = '\0';
	gdb_monitor__run(s, cmd);
}

static void cmd__query(struct gdb_stub *s, const char *p)
{
	if (!strncmp(p, "qSupported", 10)) {
		/* the OS view needs gdb's multiprocess extensions */
		s->multi = s->os && strstr(p, "multiprocess+") != NULL;
		reply__set(s, "PacketSize=%x;qXfer:features:read+;"
			   "QStartNoAckMode+;swbreak+;hwbreak+;"
			   "vContSupported+%s", GDB_PACKET_MAX,
			   s->multi ? ";multiprocess+;qXfer:exec-file:read+" : "");
	} else if (!strncmp(p, "qXfer:features:read:", 20))
		cmd__xfer_features(s, p + 20);
	else if (!strncmp(p, "qXfer:exec-file:read:", 21))
		cmd__xfer_exec_file(s, p + 21);
	else if (!strcmp(p, "qAttached") || !strncmp(p, "qAttached:", 10))
		reply__set(s, "1");
	else if (!strcmp(p, "qC")) {
		char id[48];

		thread__format(s, id, sizeof(id), s->stop_pid, s->stop_tid);
		reply__set(s, "QC%s", id);
	} else if (!strcmp(p, "qfThreadInfo")) {
		thread_list__build(s);
		thread_list__send(s);
	} else if (!strcmp(p, "qsThreadInfo"))
		thread_list__send(s);
	else if (!strncmp(p, "qThreadExtraInfo,", 17))
		cmd__thread_extra(s, p + 17);
	else if (!strncmp(p, "qRcmd,", 6))
		cmd__monitor(s, p + 6);
	else
		reply__set(s, "%s", "");	/* unsupported: empty reply */
}

static void cmd__set_thread(struct gdb_stub *s, const char *p)
{
	char which = p[1];
	uint64_t pid, tid, cr3;

	p += 2;
	if ((which != 'g' && which != 'c') || !thread__parse_id(&p, &pid, &tid) ||
	    *p || !thread__valid(s, pid, tid, &cr3)) {
		reply__set(s, E_INVAL);
		return;
	}
	if (which == 'g' && pid == GDB_PID_VCPUS) {
		if (tid && tid != TID_ALL)
			s->g_cpu = (unsigned)tid - 1;
		s->g_pid = pid;
		s->g_tid = tid;
		s->g_space_cr3 = 0;
	} else if (which == 'g' && pid) {
		s->g_cpu = 0;
		s->g_pid = pid;
		s->g_tid = tid;
		s->g_space_cr3 = cr3;
	} else if (which == 'c') {
		s->c_all = tid == TID_ALL || pid == 0;
		if (pid == GDB_PID_VCPUS && tid && tid != TID_ALL)
			s->c_cpu = (unsigned)tid - 1;
		else if (pid >= GDB_PID_SPACE0)
			s->c_cpu = 0;
	}
	reply__set(s, "OK");
}

static void cmd__thread_alive(struct gdb_stub *s, const char *p)
{
	uint64_t pid, tid, cr3;

	p++;
	reply__set(s, thread__parse_id(&p, &pid, &tid) && !*p && pid && tid &&
		      tid != TID_ALL && thread__valid(s, pid, tid, &cr3) ?
		      "OK" : "E01");
}

/* "D;PID" for a kernel space's process: gdb lets go of that program only
 * (it does so for each process when it quits); its breakpoints go, the
 * session stays. The machine's process, or "D" alone, ends the session
 * (gdb_stub__detach), as does gdb closing the connection. */
static bool cmd__detach_process(struct gdb_stub *s, const char *p)
{
	uint64_t pid, cr3;

	if (p[1] != ';')
		return false;
	p += 2;
	if (!gdb_parse_hex(&p, &pid) || *p || pid < GDB_PID_SPACE0 ||
	    !thread__valid(s, pid, TID_ALL, &cr3))
		return false;
	for (int i = 0; i < GDB_SW_BP_MAX; i++) {
		struct gdb_sw_bp *b = &s->bps.sw[i];

		if (b->used && b->owner == cr3) {
			sw_bp__unplace(s, b);
			b->used = false;
		}
	}
	for (int i = 0; i < GDB_HW_SLOTS; i++)
		if (s->bps.hw[i].used && s->bps.hw[i].pending_sw &&
		    s->bps.hw[i].owner == cr3)
			memset(&s->bps.hw[i], 0, sizeof(s->bps.hw[i]));
	reply__set(s, "OK");
	return true;
}

/* Handles one verified packet; leaves the reply, if any, in s->reply and
 * returns false when no reply is to be sent (resume, kill). */
static bool stub__dispatch(struct gdb_stub *s, char *p, size_t len)
{
	s->reply_len = 0;
	switch (p[0]) {
	case '?':
		stop__reply(s);
		break;
	case 'g':
		cmd__read_regs(s);
		break;
	case 'G':
		cmd__write_regs(s, p + 1, len - 1);
		break;
	case 'p':
		cmd__read_reg(s, p + 1);
		break;
	case 'P':
		cmd__write_reg(s, p + 1, len - 1);
		break;
	case 'm':
		cmd__read_mem(s, p + 1);
		break;
	case 'M':
		cmd__write_mem(s, p + 1, len - 1, false);
		break;
	case 'X':
		cmd__write_mem(s, p + 1, len - 1, true);
		break;
	case 'Z':
	case 'z':
		cmd__breakpoint(s, p, p[0] == 'Z');
		break;
	case 'H':
		cmd__set_thread(s, p);
		break;
	case 'T':
		cmd__thread_alive(s, p);
		break;
	case 'c':
	case 'C':
	case 's':
	case 'S':
		cmd__resume(s, p, p[0] == 's' || p[0] == 'S');
		return s->state != GDB_RUNNING;
	case 'D':
		if (cmd__detach_process(s, p))
			break;
		reply__set(s, "OK");
		stub__send_packet(s, s->reply, s->reply_len);
		gdb_stub__detach(s);
		return false;
	case 'k':
		s->state = GDB_DETACHED;
		s->t.kill(s->t.ctx);
		return false;
	case 'q':
		cmd__query(s, p);
		break;
	case 'Q':
		if (!strcmp(p, "QStartNoAckMode")) {
			reply__set(s, "OK");
			stub__send_packet(s, s->reply, s->reply_len);
			s->noack = true;	/* after acking this one */
			return false;
		}
		break;
	case 'v':
		if (!strncmp(p, "vKill", 5)) {	/* 'k' with multiprocess */
			reply__set(s, "OK");
			stub__send_packet(s, s->reply, s->reply_len);
			s->state = GDB_DETACHED;
			s->t.kill(s->t.ctx);
			return false;
		}
		if (!strcmp(p, "vCont?"))
			reply__set(s, "vCont;c;C;s;S");
		else if (!strncmp(p, "vCont", 5) && p[5] != '?') {
			cmd__vcont(s, p + 5);
			return s->state != GDB_RUNNING;
		}
		break;
	default:
		break;			/* unknown: empty reply */
	}
	return true;
}

static void stub__packet(struct gdb_stub *s)
{
	if (!s->noack)
		s->t.send(s->t.ctx, "+", 1);
	if (s->state != GDB_STOPPED || s->rx.len == 0) {
		/* All-stop: gdb sends nothing but Ctrl-C while running. */
		stub__send_packet(s, E_INVAL, 3);
		return;
	}
	if (stub__dispatch(s, s->rx.buf, s->rx.len))
		stub__send_packet(s, s->reply, s->reply_len);
}

void gdb_stub__input(struct gdb_stub *s, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len && s->state != GDB_DETACHED; i++) {
		switch (gdb_rx__feed(&s->rx, buf[i])) {
		case GDB_RX_PACKET:
			stub__packet(s);
			break;
		case GDB_RX_BAD_CHECKSUM:
			if (!s->noack)
				s->t.send(s->t.ctx, "-", 1);
			break;
		case GDB_RX_OVERFLOW:
			if (!s->noack)
				s->t.send(s->t.ctx, "+", 1);
			stub__send_packet(s, "E01", 3);
			break;
		case GDB_RX_NACK:
			if (!s->noack && s->last_frame_len)
				s->t.send(s->t.ctx, s->last_frame,
					  s->last_frame_len);
			break;
		case GDB_RX_INTERRUPT:
			if (s->state == GDB_RUNNING)
				s->t.interrupt(s->t.ctx);
			break;
		default:
			break;
		}
	}
}
