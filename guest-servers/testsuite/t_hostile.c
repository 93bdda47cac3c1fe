/* The kernel under hostile or careless tasks: flags a thread leaves in
 * RFLAGS, the IPC fast path against the general path (priorities, message
 * length), partners that die, interrupt ids, exregs, long timeouts and
 * kernel memory running out. */
#include "suite.h"

#define U(x) ((uint64_t)(x))
#define RFLAGS_NT 0x4000ull

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }

static uint8_t spare_stack[4096] __attribute__((aligned(16)));

static void yield_n(int n)
{
	for (int i = 0; i < n; i++)
		l4_yield();
}

/* Sleeps us microseconds of kernel time (a receive nobody answers). */
static void sleep_us(uint32_t us)
{
	l4_receive(l4_myself(), us, NULL);
}

/* fastpath-priority: a priority-200 caller calls a priority-50 server while
 * a priority-100 thread is ready; the middle thread must run first. */
static volatile uint64_t middle_ran, server_saw;

static void prio_server(uint64_t arg)
{
	(void)arg;
	uint64_t mr[4] = { 0 }, from;
	server_saw = middle_ran;                 /* fault both pages in now */
	int err = l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	for (;;) {
		if (!err)
			server_saw = 1 + middle_ran;
		mr[0] = L4_TAG(0, 0, 0);
		if (err)
			err = l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
		else
			err = l4_ipc_regs(from, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	}
}

static void prio_middle(void)
{
	middle_ran = 1;
	sleep_forever();
}

void t_fastpath_priority(void)
{
	uint64_t me = l4_myself();
	middle_ran = server_saw = 0;
	uint64_t s = thread_new_space(prio_server, 0);
	EXPECT(s, "cannot create the server");
	yield_n(100);                            /* the server waits for a call */
	EXPECT(!l4_schedule(s, 50, 10) && !l4_schedule(me, 200, 10), "cannot set priorities");
	uint64_t m = thread_new_local(prio_middle, 0);
	uint64_t mr[4] = { L4_TAG(1, 3, 0), 1, 2, 3 };
	int err = l4_ipc_regs(s, s, L4_TIMEOUTS(L4_NEVER, L4_NEVER), mr, NULL);
	l4_schedule(me, 100, 10);
	thread_delete(m);
	thread_delete(s);
	EXPECT(m, "cannot create the middle thread");
	EXPECT(!err, "call returned %x", U(err));
	EXPECT(server_saw == 2, "the priority-50 server ran before the ready priority-100 thread");
}

/* fastpath-mr-length: a reply with fewer words than the registers hold
 * must not hand the caller the server's leftover registers. */
#define SECRET 0x5ec2e7000000ull

static void quiet_server(uint64_t words)
{
	uint64_t mr[4] = { 0 }, from;
	int err = l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	for (;;) {
		uint64_t out[4] = { L4_TAG(7, words, 0), SECRET + 1, SECRET + 2, SECRET + 3 };
		if (err)
			err = l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
		else
			err = l4_ipc_regs(from, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), out, &from);
	}
}

void t_fastpath_mr_length(void)
{
	for (uint64_t words = 0; words < 3; words++) {
		uint64_t s = thread_new_space(quiet_server, words);
		EXPECT(s, "cannot create the server");
		uint64_t mr[4] = { L4_TAG(1, 3, 0), 11, 22, 33 };
		int err = l4_ipc_regs(s, s, L4_TIMEOUTS(L4_NEVER, L4_NEVER), mr, NULL);
		thread_delete(s);
		EXPECT(!err && mr[0] == L4_TAG(7, words, 0), "call returned %x, tag %lx", U(err), mr[0]);
		for (uint64_t i = 1; i <= 3; i++) {
			uint64_t want = i <= words ? SECRET + i : 11 * i;
			EXPECT(mr[i] == want, "reply of %d words: MR%d is %lx, expected %lx", words, i, mr[i], want);
		}
	}
}

/* recv-dead-partner: a receive from a killed thread fails at once, and
 * deleting the dead thread leaves nobody waiting for it. */
static volatile uint64_t stranded_err;

static void die_child(uint64_t arg)
{
	(void)arg;
	*(volatile uint64_t *)0x7000000000ull = 1;   /* rpager leaves it unresolved */
	sleep_forever();
}

static void stranded(void)
{
	stranded_err = 0x1000 | (uint64_t)l4_receive(thread_arg(), L4_NEVER, NULL);
	sleep_forever();
}

/* Starts a thread in a new space that gets itself killed; 0 on failure. */
static uint64_t dead_thread(void)
{
	uint64_t d = thread_new_space(die_child, 0);
	l4_utcb()->mr[0] = L4_TAG(0, 0, 0);
	for (int i = 0; d && i < 10000; i++) {
		if (l4_send(d, 0) == L4_ENOPARTNER)
			return d;
		l4_yield();
	}
	return 0;
}

void t_recv_dead_partner(void)
{
	uint64_t d = dead_thread();
	EXPECT(d, "the faulting thread was not killed");
	int err = l4_receive(d, 100000, NULL);
	EXPECT(err == (L4_ENOPARTNER | L4_E_RECV), "receive from a killed thread gave %x", U(err));
	stranded_err = 0;
	uint64_t r = thread_new_local(stranded, d);
	EXPECT(r, "cannot create the receiver");
	yield_n(100);
	thread_delete(d);
	yield_n(100);
	thread_delete(r);
	EXPECT(stranded_err == (0x1000 | L4_ENOPARTNER | L4_E_RECV) ||
	       stranded_err == (0x1000 | L4_ECANCELED | L4_E_RECV),
	       "a receiver of a killed, then deleted thread got %x (0: still waiting)", stranded_err);
}

/* irq-id-receive: a call to an interrupt id acknowledges the line and then
 * waits for its next interrupt like any receive. */
void t_irq_id_receive(void)
{
	const int line = 4;                     /* COM1, its interrupts off */
	outb(0x3f9, 0x00);
	EXPECT(l4_irq_control(line, L4_IRQ_ATTACH) == L4_OK, "attach failed");
	l4_utcb()->mr[0] = L4_TAG(0, 0, 0);
	uint64_t from = 0;
	int err = l4_ipc(L4_IRQ_TID(line), L4_IRQ_TID(line), L4_TIMEOUTS(0, 20000), &from);
	l4_irq_control(line, L4_IRQ_DETACH);
	EXPECT(err == (L4_ETIMEOUT | L4_E_RECV),
	       "call to an idle interrupt line gave %x from %lx (no interrupt was pending)", U(err), from);
}

/* exregs-queued-sender: redirecting a thread aborts its own IPC only; a
 * sender queued on it stays queued and is received at the new ip. */
static volatile uint64_t qs_err, qt_label;

static void q_target(void)
{
	l4_receive(thread_arg(), L4_NEVER, NULL);   /* closed wait: not for the sender */
	sleep_forever();
}

static void q_redirected(void)
{
	uint64_t from;
	int err = l4_receive(L4_ANYTHREAD, 1000000, &from);
	qt_label = err ? 0xe000 | (uint64_t)err : L4_TAG_LABEL(l4_utcb()->mr[0]);
	sleep_forever();
}

static void q_sender(void)
{
	l4_utcb()->mr[0] = L4_TAG(0x55, 0, 0);
	qs_err = 0x1000 | (uint64_t)l4_send(thread_arg(), L4_NEVER);
	sleep_forever();
}

void t_exregs_queued_sender(void)
{
	qs_err = qt_label = 0;
	uint64_t t = thread_new_local(q_target, l4_myself());
	EXPECT(t, "cannot create the target");
	yield_n(10);
	uint64_t s = thread_new_local(q_sender, t);
	EXPECT(s, "cannot create the sender");
	yield_n(10);
	bool queued = qs_err == 0;
	int err = l4_exregs(t, (uint64_t)q_redirected, (uint64_t)spare_stack + sizeof(spare_stack) - 8);
	for (int i = 0; i < 10000 && (!qs_err || !qt_label); i++)
		l4_yield();
	thread_delete(s);
	thread_delete(t);
	EXPECT(queued, "the sender was not queued (%x)", qs_err);
	EXPECT(!err, "exregs gave %x", U(err));
	EXPECT(qs_err == 0x1000, "the queued sender got %x when its receiver was redirected", qs_err & 0xfff);
	EXPECT(qt_label == 0x55, "the redirected thread received %lx", qt_label);
}

/* timeout-long: 0xfffffffe us is 71 minutes, not one tick. */
static volatile uint64_t long_err;

static void long_waiter(void)
{
	long_err = 0x1000 | (uint64_t)l4_receive(thread_arg(), 0xfffffffeu, NULL);
	sleep_forever();
}

void t_timeout_long(void)
{
	long_err = 0;
	uint64_t w = thread_new_local(long_waiter, l4_myself());
	EXPECT(w, "cannot create the waiter");
	sleep_us(50000);
	uint64_t got = long_err;
	thread_delete(w);
	EXPECT(got == 0, "a 0xfffffffe us receive timeout ended within 50 ms (%x)", got & 0xfff);
}

/* kmem-recover: kernel memory exhausted by a task's page tables comes back
 * when the space goes, for single pages and multi-page blocks (kernel
 * stacks) alike. */
#define SINK_BASE 0x100000000000ull   /* 16 TiB: far from anything mapped */
#define KMEM_THREADS 32
#define KMEM_UTCB 0x38000000ull

static uint8_t kmem_page[4096] __attribute__((aligned(4096)));

static void sink(uint64_t arg)
{
	(void)arg;
	l4_utcb()->acceptor = L4_COMPLETE;
	for (;;)
		l4_receive(L4_ANYTHREAD, L4_NEVER, NULL);
}

/* Maps kmem_page into x, one page per 2 MiB, until the kernel reports
 * L4_ENOMEM: the IPC error that ended it, or 0 if memory never ran out. */
static int exhaust(uint64_t x)
{
	uint64_t *mr = l4_utcb()->mr, va = SINK_BASE;
	kmem_page[0] = 1;
	for (int round = 0; round < 8192; round++) {
		mr[0] = L4_TAG(0, 0, 62);
		for (int i = 0; i < 31; i++, va += 2ull << 20) {
			mr[1 + 2 * i] = va | L4_ITEM_MAP;
			mr[2 + 2 * i] = L4_FPAGE((uint64_t)kmem_page, 12, L4_R);
		}
		int err = l4_send(x, L4_NEVER);
		if (err)
			return err;
	}
	return 0;
}

/* Creates n threads in our own space (never started), each batch with a
 * new version (a slot's versions only grow); how many it got. */
static unsigned batch;

static int create_threads(int n, int *err)
{
	int i;
	*err = 0;
	batch++;
	for (i = 0; i < n; i++) {
		*err = l4_thread_control(L4_TID(980 + i, batch), l4_myself(), L4_SIGMA0_TID, KMEM_UTCB + i * 4096ull);
		if (*err)
			break;
	}
	return i;
}

static void delete_threads(int n)
{
	for (int i = 0; i < n; i++)
		l4_thread_control(L4_TID(980 + i, batch), L4_NILTHREAD, L4_NILTHREAD, 0);
}

void t_kmem_recover(void)
{
	uint64_t x = thread_new_space(sink, 0);
	EXPECT(x, "cannot create the sink space");
	yield_n(10);
	int err = exhaust(x);
	int e2, got = create_threads(1, &e2);
	delete_threads(got);
	thread_delete(x);
	EXPECT(err == L4_ENOMEM, "mapping page tables' worth gave %x, not L4_ENOMEM", U(err));
	EXPECT(got == 0, "a thread was created with kernel memory exhausted");
	got = create_threads(KMEM_THREADS, &e2);
	delete_threads(got);
	EXPECT(got == KMEM_THREADS, "after the space was deleted only %d of %d threads could be created (%x)",
	       U(got), U(KMEM_THREADS), U(e2));
	x = thread_new_space(sink, 0);
	EXPECT(x, "cannot create a space after recovery");
	thread_delete(x);
}

/* rflags-nt: a thread that enters the kernel with RFLAGS.NT set must not
 * take it into another thread's return to user mode (IRETQ with NT set
 * faults); its own NT survives. */
static volatile uint64_t nt_rounds, nt_lost, spin_count;

static void nt_thread(void)
{
	for (;;) {
		uint64_t fl;
		__asm__ volatile("pushfq; orq %0, (%%rsp); popfq" :: "i"(RFLAGS_NT) : "memory", "cc");
		l4_yield();
		__asm__ volatile("pushfq; popq %0" : "=r"(fl));
		__asm__ volatile("pushfq; andq %0, (%%rsp); popfq" :: "i"(~RFLAGS_NT) : "memory", "cc");
		if (!(fl & RFLAGS_NT))
			nt_lost++;
		nt_rounds++;
	}
}

static void nt_spinner(void)
{
	for (;;)
		spin_count++;                /* preempted: leaves the kernel by IRETQ */
}

void t_rflags_nt(void)
{
	nt_rounds = nt_lost = spin_count = 0;
	uint64_t sp = thread_new_local(nt_spinner, 0);
	uint64_t nt = thread_new_local(nt_thread, 0);
	EXPECT(sp && nt, "cannot create threads");
	sleep_us(30000);
	yield_n(100);
	thread_delete(nt);
	thread_delete(sp);
	EXPECT(nt_rounds > 10 && spin_count > 0, "threads did not run (%d rounds, %d spins)", nt_rounds, spin_count);
	EXPECT(nt_lost == 0, "the thread's own NT flag was lost %d times in %d system calls", nt_lost, nt_rounds);
}

/* thread-control-enomem: creating a thread with kernel memory exhausted
 * reports L4_ENOMEM, not a malformed argument. */
void t_thread_control_enomem(void)
{
	uint64_t x = thread_new_space(sink, 0);
	EXPECT(x, "cannot create the sink space");
	yield_n(10);
	int err = exhaust(x);
	int e2, got = create_threads(1, &e2);
	delete_threads(got);
	thread_delete(x);
	EXPECT(err == L4_ENOMEM, "mapping page tables' worth gave %x, not L4_ENOMEM", U(err));
	EXPECT(got == 0 && e2 == L4_ENOMEM, "thread_control with kernel memory exhausted gave %x", U(e2));
}

/* stale-thread-id: a slot's versions only grow, so no id a thread ever had
 * names a later thread. */
void t_stale_thread_id(void)
{
	uint64_t me = l4_myself(), utcb = 0x37000000;
	EXPECT(!l4_thread_control(L4_TID(970, 1), me, L4_SIGMA0_TID, utcb), "version 1 refused");
	l4_thread_control(L4_TID(970, 1), L4_NILTHREAD, L4_NILTHREAD, 0);
	EXPECT(!l4_thread_control(L4_TID(970, 2), me, L4_SIGMA0_TID, utcb), "version 2 refused");
	l4_thread_control(L4_TID(970, 2), L4_NILTHREAD, L4_NILTHREAD, 0);
	int err = l4_thread_control(L4_TID(970, 1), me, L4_SIGMA0_TID, utcb);
	if (!err)
		l4_thread_control(L4_TID(970, 1), L4_NILTHREAD, L4_NILTHREAD, 0);
	EXPECT(err == L4_EINVAL, "a slot got its first thread's id back (%x)", U(err));
}

/* Exceptions as IPC to rpager: the vector it saw after the child ran fn
 * (it resumes at h_resume), or -1 if there was none. */
static volatile uint64_t h_resumed, h_reached;

static void h_resume(void)
{
	h_resumed++;
	sleep_forever();
}

static int64_t vector_of(void (*fn)(uint64_t))
{
	uint64_t e0 = plog.exceptions, r0 = h_resumed;
	h_reached = 0;
	plog.resume_ip = (uint64_t)h_resume;
	plog.resume_sp = (uint64_t)spare_stack + sizeof(spare_stack) - 8;
	uint64_t c = thread_new_space(fn, 0);
	for (int i = 0; c && i < 100000 && h_resumed == r0 && !h_reached; i++)
		l4_yield();
	yield_n(10);
	thread_delete(c);
	plog.resume_ip = 0;
	return plog.exceptions == e0 + 1 && h_resumed == r0 + 1 ? (int64_t)plog.exc_vector : -1;
}

/* x87-exception: with CR0.NE an unmasked x87 exception is #MF (16), not
 * the legacy FERR# line nobody listens to. */
static void x87_child(uint64_t arg)
{
	(void)arg;
	uint16_t cw = 0x037b;                   /* default, zero-divide unmasked */
	__asm__ volatile("fldcw %0\n\tfldz\n\tfld1\n\tfdiv %%st(1), %%st\n\tfwait" :: "m"(cw));
	h_reached = 1;
	sleep_forever();
}

void t_x87_exception(void)
{
	int64_t v = vector_of(x87_child);
	EXPECT(v == 16, "x87 divide by zero gave vector %d (reached after it: %d)", U(v), h_reached);
}

/* pagefault-unresolved: when the pager's reply does not map the page, the
 * thread's exception handler (here the pager) gets vector 14 and may
 * resume it; the thread does not die unseen. */
static void unmapped_child(uint64_t arg)
{
	(void)arg;
	*(volatile uint64_t *)0x7000000000ull = 1;
	h_reached = 1;
	sleep_forever();
}

void t_pagefault_unresolved(void)
{
	int64_t v = vector_of(unmapped_child);
	EXPECT(v == 14, "an unresolved page fault gave vector %d to the handler", U(v));
	EXPECT(!h_reached, "the faulting store completed");
}

/* int3-breakpoint: int3 and int $4 from user mode are #BP and #OF, not #GP. */
static void int3_child(uint64_t arg) { (void)arg; __asm__ volatile("int3"); h_reached = 1; sleep_forever(); }
static void int4_child(uint64_t arg) { (void)arg; __asm__ volatile("int $4"); h_reached = 1; sleep_forever(); }

void t_int3_breakpoint(void)
{
	int64_t v = vector_of(int3_child);
	EXPECT(v == 3, "int3 gave vector %d", U(v));
	v = vector_of(int4_child);
	EXPECT(v == 4, "int $4 gave vector %d", U(v));
}

/* exception-registers: the exception message carries every user register
 * (MR5 rflags, MR6..MR20 rax rbx rcx rdx rsi rdi rbp r8..r15), and a reply
 * of 18 words (ip, sp, rflags, then the same 15) sets them all. */
static volatile uint64_t xr_seen[22], xr_after[3];

static void xr_handler(void)
{
	uint64_t *mr = l4_utcb()->mr, from;
	for (;;) {
		if (l4_receive(L4_ANYTHREAD, L4_NEVER, &from) || L4_TAG_LABEL(mr[0]) != L4_LABEL_EXCEPTION)
			continue;
		for (unsigned i = 0; i < 22; i++)
			xr_seen[i] = i <= L4_TAG_U(mr[0]) ? mr[i] : 0;
		for (int i = 1; i <= 18; i++)
			mr[i] = xr_seen[i + 2];
		mr[0] = L4_TAG(0, 18, 0);
		mr[1] += 2;                      /* ip: past the ud2 */
		mr[4] = 0xa0a0;                  /* rax */
		mr[5] = 0xb0b0;                  /* rbx */
		mr[18] = 0xf0f0;                 /* r15 */
		l4_send(from, 0);
	}
}

static void xr_child(uint64_t arg)
{
	(void)arg;
	register uint64_t r15 __asm__("r15");
	uint64_t rax, rbx;
	__asm__ volatile("mov $0x1111, %%rax\n\t"
			 "mov $0x2222, %%rbx\n\t"
			 "mov $0x3333, %%rcx\n\t"
			 "mov $0xffff, %%r15\n\t"
			 "ud2"
			 : "=a"(rax), "=b"(rbx), "=r"(r15) :: "rcx");
	xr_after[0] = rax, xr_after[1] = rbx, xr_after[2] = r15;
	h_reached = 1;
	sleep_forever();
}

void t_exception_registers(void)
{
	memset((void *)xr_seen, 0, sizeof(xr_seen));
	h_reached = 0;
	uint64_t h = thread_new_local(xr_handler, 0);
	uint64_t c = h ? thread_new_exc(0, xr_child, 0, h) : 0;
	for (int i = 0; c && i < 100000 && !h_reached; i++)
		l4_yield();
	thread_delete(c);
	thread_delete(h);
	EXPECT(h && c, "cannot create threads");
	EXPECT(xr_seen[1] == 6, "handler saw vector %d", xr_seen[1]);
	EXPECT(xr_seen[6] == 0x1111 && xr_seen[7] == 0x2222 && xr_seen[8] == 0x3333 && xr_seen[20] == 0xffff,
	       "exception message: rax %lx rbx %lx rcx %lx r15 %lx", xr_seen[6], xr_seen[7], xr_seen[8], xr_seen[20]);
	EXPECT(h_reached, "the reply with the full register set did not resume the thread");
	EXPECT(xr_after[0] == 0xa0a0 && xr_after[1] == 0xb0b0 && xr_after[2] == 0xf0f0,
	       "registers after the reply: rax %lx rbx %lx r15 %lx", xr_after[0], xr_after[1], xr_after[2]);
}

/* mapdb-lookup-bound: finding a mapping's node does not walk its frame's
 * whole mapping tree. One page is mapped into a space 8,000 times; then
 * re-mapping over the newest mapping (first in the tree) and over the
 * oldest ones (last) must cost about the same. */
#define WIDE_N 7998                     /* a multiple of 31 items */
#define WIDE_BASE 0x200000000ull

/* Maps kmem_page into x at each of 31 addresses from va on (step: bytes
 * between them); the rdtsc cycles the IPC took, or 0 on an error. */
static uint64_t map31(uint64_t x, uint64_t va, uint64_t step)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(0, 0, 62);
	for (int i = 0; i < 31; i++, va += step) {
		mr[1 + 2 * i] = va | L4_ITEM_MAP;
		mr[2 + 2 * i] = L4_FPAGE((uint64_t)kmem_page, 12, L4_R);
	}
	uint64_t t0 = rdtsc();
	int err = l4_send(x, L4_NEVER);
	return err ? 0 : rdtsc() - t0 + 1;
}

void t_mapdb_lookup_bound(void)
{
	uint64_t x = thread_new_space(sink, 0), newest = ~0ull, oldest = ~0ull;
	EXPECT(x, "cannot create the sink space");
	kmem_page[0] = 1;
	yield_n(10);
	bool ok = true;
	for (uint64_t k = 0; k < WIDE_N && ok; k += 31)
		ok = map31(x, WIDE_BASE + k * 4096, 4096);
	/* over the newest mapping again and again, then over the oldest ones,
	 * each of which becomes the newest as it is replaced; the fastest of
	 * 16 IPCs each, so an interrupt does not count */
	for (int r = 0; r < 16 && ok; r++) {
		uint64_t t = map31(x, WIDE_BASE + (WIDE_N - 1) * 4096, 0);
		newest = t < newest ? t : newest;
		ok = t;
	}
	for (int r = 0; r < 16 && ok; r++) {
		uint64_t t = map31(x, WIDE_BASE + r * 31 * 4096, 4096);
		oldest = t < oldest ? t : oldest;
		ok = t;
	}
	thread_delete(x);
	EXPECT(ok, "a map IPC failed");
	printf("mapdb: 31 re-maps over the newest of %d mappings %lu cycles, over the oldest %lu\n",
	       WIDE_N, newest, oldest);
	EXPECT(oldest < 3 * newest, "re-mapping over the oldest of a frame's mappings took %d times as long",
	       oldest / newest);
}

/* unmap-preemptible: revoking tens of thousands of mappings does not keep
 * interrupts off throughout; a higher-priority thread woken by its timeout
 * runs in the middle of it. */
#define REVOKE_N 74400                  /* a multiple of 31 */
static volatile uint64_t ticker_wakes;

static void ticker(void)
{
	for (;;) {
		l4_receive(l4_myself(), 1000, NULL);
		ticker_wakes++;
	}
}

/* A space whose one thread has REVOKE_N mappings of kmem_page, and a
 * priority-200 thread waking every millisecond; 0 on failure. */
static uint64_t big_space(uint64_t *ticker_tid)
{
	uint64_t x = thread_new_space(sink, 0);
	kmem_page[0] = 1;
	yield_n(10);
	bool ok = x;
	for (uint64_t k = 0; k < REVOKE_N && ok; k += 31)
		ok = map31(x, WIDE_BASE + k * 4096, 4096);
	*ticker_tid = thread_new_local(ticker, 0);
	ok = ok && *ticker_tid && !l4_schedule(*ticker_tid, 200, 10);
	sleep_us(3000);
	return ok ? x : 0;
}

/* Unpreempted, the ticker could run once: right after the call. */
#define TICKER_MIN 2

void t_unmap_preemptible(void)
{
	uint64_t t, x = big_space(&t);
	uint64_t w0 = ticker_wakes, t0 = rdtsc();
	int err = x ? l4_unmap(L4_FPAGE((uint64_t)kmem_page, 12, L4_RWX), 0) : -1;
	uint64_t cycles = rdtsc() - t0, wakes = ticker_wakes - w0;
	thread_delete(t);
	thread_delete(x);
	EXPECT(x, "set-up failed");
	printf("unmap: %d mappings revoked in %lu cycles; a 1 ms ticker ran %lu times meanwhile\n",
	       REVOKE_N, cycles, wakes);
	EXPECT(!err, "unmap gave %x", U(err));
	EXPECT(kmem_page[0] == 1, "our own mapping went");
	EXPECT(wakes >= TICKER_MIN, "a priority-200 thread with a 1 ms timeout ran %d times during the unmap", wakes);
}

/* space-delete-preemptible: so does deleting a space with that many. */
void t_space_delete_preemptible(void)
{
	uint64_t t, x = big_space(&t);
	uint64_t w0 = ticker_wakes, t0 = rdtsc();
	if (x)
		thread_delete(x);
	uint64_t cycles = rdtsc() - t0, wakes = ticker_wakes - w0;
	thread_delete(t);
	EXPECT(x, "set-up failed");
	printf("space delete: %d mappings in %lu cycles; a 1 ms ticker ran %lu times meanwhile\n",
	       REVOKE_N, cycles, wakes);
	EXPECT(wakes >= TICKER_MIN, "a priority-200 thread with a 1 ms timeout ran %d times during the deletion", wakes);
}

/* map-item-bound: one map item moves at most 2^L4_MAP_MAX_LOG2 bytes. */
void t_map_item_bound(void)
{
	uint64_t x = thread_new_space(sink, 0);
	EXPECT(x, "cannot create the sink space");
	yield_n(10);
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(0, 0, 2);
	mr[1] = WIDE_BASE | L4_ITEM_MAP;
	mr[2] = L4_FPAGE(0, L4_MAP_MAX_LOG2 + 1, L4_R);
	int big = l4_send(x, L4_NEVER);
	mr[0] = L4_TAG(0, 0, 2);
	mr[1] = WIDE_BASE | L4_ITEM_MAP;
	mr[2] = L4_FPAGE((uint64_t)kmem_page & ~((1ull << L4_MAP_MAX_LOG2) - 1), L4_MAP_MAX_LOG2, L4_R);
	int max = l4_send(x, L4_NEVER);
	thread_delete(x);
	EXPECT(big == L4_EMSG, "an 8 MiB map item gave %x", U(big));
	EXPECT(max == 0, "a 4 MiB map item gave %x", U(max));
}
