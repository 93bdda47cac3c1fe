/* The hostile-task test: a system-call fuzzer. An unprivileged space makes
 * random system calls with random arguments, random message lengths (up
 * to all 64 message registers, map items included) and random RFLAGS bits
 * (NT, AC, DF and the arithmetic flags), to and from two partners (one in
 * its own space, one in another) that reply with random lengths, call
 * back and now and then die by an exception. Meanwhile the root task
 * changes the three threads' priorities and deletes and re-creates a
 * partner, so IPCs lose their partner midway. Timeouts are zero or 1 ms,
 * or never where the fast path applies (the fuzzer's calls to a partner,
 * which replies or is deleted; a partner's reply-and-wait), so the fuzzer
 * never blocks for good; kdb_write is left out (it would only
 * print noise), and IPC avoids sigma0 and the root task's pager, which
 * trust their clients. "fuzzlong" on the command line: a long run. */
#include "suite.h"

#define NPARTNERS 2
#define USER_FLAGS 0x44ed5ull  /* CF PF AF ZF SF DF OF NT AC: what popf may set */

static volatile uint64_t fuzz_done, fuzz_tid_self, partner[NPARTNERS], stale_partner;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t rnd_flags(uint64_t *s)
{
	return rnd(s) % 2 ? 0x202 : (rnd(s) & USER_FLAGS) | 0x202;
}

struct sysregs { uint64_t rax, rdi, rsi, rdx, r8, r9, r10, r12; };

/* One system call entered with RFLAGS = flags; the caller's own flags are
 * back afterwards. The red zone is stepped over: the flags go on the stack. */
static void syscall_flags(struct sysregs *r, uint64_t flags)
{
	register uint64_t r8 __asm__("r8") = r->r8;
	register uint64_t r9 __asm__("r9") = r->r9;
	register uint64_t r10 __asm__("r10") = r->r10;
	register uint64_t r12 __asm__("r12") = r->r12;
	__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
			 "pushfq\n\t"
			 "pushq %[fl]\n\t"
			 "popfq\n\t"
			 "syscall\n\t"
			 "popfq\n\t"
			 "lea 128(%%rsp), %%rsp"
			 : "+a"(r->rax), "+D"(r->rdi), "+S"(r->rsi), "+d"(r->rdx),
			   "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12)
			 : [fl] "r"(flags)
			 : "rcx", "r11", "memory", "cc");
	r->r8 = r8, r->r9 = r9, r->r10 = r10, r->r12 = r12;
}

/* Any thread id worth trying: ours (the test suite numbers its threads
 * from 256; below are the root task's and the other programs', which are
 * not this fuzzer's to disturb), never sigma0 or our pager. */
static uint64_t fuzz_tid(uint64_t *s)
{
	uint64_t t;
	switch (rnd(s) % 10) {
	case 0: t = l4_myself(); break;
	case 1: case 2: t = partner[rnd(s) % NPARTNERS]; break;
	case 3: t = stale_partner; break;
	case 4: t = L4_IRQ_TID(rnd(s) % (L4_NIRQ + L4_NMSI)); break;
	case 5: t = L4_ANYTHREAD; break;
	case 6: t = L4_NILTHREAD; break;
	case 7: t = fuzz_tid_self; break;
	case 8: t = L4_TID(256 + rnd(s) % 600, rnd(s) % 3); break;
	default: t = rnd(s);
	}
	return t == L4_SIGMA0_TID || t == rpager_tid ? L4_NILTHREAD : t;
}

/* A random message in MR0..MR63: any length, sometimes map items. */
static void fuzz_message(uint64_t *s, uint64_t *mr)
{
	unsigned u = rnd(s) % 4 ? rnd(s) % 5 : rnd(s) % 64;
	unsigned t = rnd(s) % 4 ? 0 : (rnd(s) % 8) * 2;
	for (int k = 1; k < L4_NMR; k++)
		mr[k] = rnd(s);
	for (unsigned k = 1 + u; k + 1 < 1 + u + t && k + 1 < L4_NMR; k += 2) {
		mr[k] = (rnd(s) & 0x7ffffffff000ull) | (rnd(s) % 2 ? L4_ITEM_MAP : L4_ITEM_GRANT);
		mr[k + 1] = L4_FPAGE(rnd(s) & 0x7ffffffff000ull, 12 + rnd(s) % 20, rnd(s));
	}
	mr[0] = L4_TAG(rnd(s), u, t) ^ (rnd(s) % 8 ? 0 : rnd(s));
}

static uint32_t fuzz_timeout(uint64_t *s)
{
	return rnd(s) % 64 ? 0 : 1000;
}

/* An IPC with the message in the UTCB and random flags. */
static int fuzz_ipc(uint64_t *s, uint64_t to, uint64_t from, uint64_t timeouts, uint64_t *sender)
{
	uint64_t *mr = l4_utcb()->mr;
	struct sysregs r = { L4_SYS_IPC, to, from, timeouts, mr[0], mr[1], mr[2], mr[3] };
	syscall_flags(&r, rnd_flags(s));
	mr[0] = r.r8, mr[1] = r.r9, mr[2] = r.r10, mr[3] = r.r12;
	if (sender)
		*sender = r.rsi;
	return (int)r.rax;
}

/* A partner: takes messages and replies with random lengths, calls the
 * fuzzer back, and rarely dies of an exception (rpager lets it die). */
static void fuzz_partner_fn(uint64_t slot)
{
	uint64_t seed = 0x2545f4914f6cdd1dull * (slot + 1) + rdtsc(), from = L4_NILTHREAD;
	uint64_t *mr = l4_utcb()->mr;
	for (;;) {
		uint64_t r = rnd(&seed) % 512;
		if (r == 0)
			__asm__ volatile("ud2");
		fuzz_message(&seed, mr);
		if (r < 128 && from != L4_NILTHREAD)          /* reply and wait */
			fuzz_ipc(&seed, from, L4_ANYTHREAD, L4_TIMEOUTS(0, r % 2 ? L4_NEVER : 1000), &from);
		else if (r < 192)                             /* call the fuzzer */
			fuzz_ipc(&seed, fuzz_tid_self, fuzz_tid_self, L4_TIMEOUTS(1000, 1000), &from);
		else if (r < 256)                             /* call anyone */
			fuzz_ipc(&seed, fuzz_tid(&seed), L4_ANYTHREAD, L4_TIMEOUTS(fuzz_timeout(&seed), 1000), &from);
		else if (fuzz_ipc(&seed, L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, 1000), &from))
			from = L4_NILTHREAD;
	}
}

static void fuzzer(uint64_t iterations)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint64_t *mr = l4_utcb()->mr;
	for (uint64_t i = 0; i < iterations; i++) {
		uint64_t nr = rnd(&seed) % (L4_SYS_COUNT + 2);
		if (nr == L4_SYS_KDB_WRITE)
			nr = L4_SYS_KINFO;
		if (nr == L4_SYS_IPC) {
			uint64_t to = fuzz_tid(&seed), from = fuzz_tid(&seed);
			uint32_t t = fuzz_timeout(&seed), rt = fuzz_timeout(&seed);
			if (rnd(&seed) % 4 == 0) {                /* a call for the fast path */
				to = from = partner[rnd(&seed) % NPARTNERS];
				rt = L4_NEVER;
			}
			fuzz_message(&seed, mr);
			fuzz_ipc(&seed, to, from, L4_TIMEOUTS(t, rt), NULL);
			continue;
		}
		struct sysregs r = { nr, rnd(&seed), rnd(&seed), rnd(&seed), rnd(&seed), rnd(&seed),
				     rnd(&seed), rnd(&seed) };
		if (nr == L4_SYS_EXREGS || nr == L4_SYS_THREAD_SWITCH || nr == L4_SYS_SCHEDULE)
			r.rdi = fuzz_tid(&seed);
		if (nr == L4_SYS_UNMAP && rnd(&seed) % 2)
			r.rdi = L4_FPAGE(rnd(&seed) & 0x7fffffff000ull, 12 + rnd(&seed) % 20, rnd(&seed));
		syscall_flags(&r, rnd_flags(&seed));
	}
	fuzz_done = iterations;
	sleep_forever();
}

/* Partner 0 shares the fuzzer's space, partner 1 has its own. */
static uint64_t partner_start(int slot, uint64_t space)
{
	return slot == 0 ? thread_new_in(space, fuzz_partner_fn, 0) : thread_new_space(fuzz_partner_fn, 1);
}

/* Whenever the root task runs while the fuzzer does: new priorities (the
 * fuzzer's never above the root task's, or the root task would not run
 * again until it ends), or a partner deleted (in whatever IPC it was) and
 * started again. */
/* Each restart takes a new thread number from the root task, which has
 * fewer than MAX_THREADS of them for the whole run. */
#define MAX_RESTARTS 400
static uint64_t restarts;

static void perturb(uint64_t *s, uint64_t space)
{
	uint64_t r = rnd(s) % 6, slice = 1 + rnd(s) % 20;
	if (r == 0) {
		l4_schedule(fuzz_tid_self, 1 + rnd(s) % 100, slice);   /* never above us */
	} else if (r < 3) {
		l4_schedule(partner[r - 1], 1 + rnd(s) % 200, slice);
	} else if (r == 3 && restarts < MAX_RESTARTS) {
		int k = rnd(s) % NPARTNERS;
		stale_partner = partner[k];
		thread_delete(partner[k]);
		partner[k] = partner_start(k, space);
		restarts++;
	}
}

void t_fuzz(void)
{
	const uint64_t n = cmdline_has(prog_info->cmdline, "fuzzlong") ? 2000000 : 20000;
	const uint64_t limit_ms = 60000 + n / 10;
	uint64_t seed = 0xd1b54a32d192ed03ull, ms;
	fuzz_done = restarts = 0;
	plog.resume_ip = 0;
	uint64_t f = thread_new_space(fuzzer, n);
	EXPECT(f, "cannot create the fuzzer's space");
	fuzz_tid_self = f;
	for (int k = 0; k < NPARTNERS; k++)
		partner[k] = partner_start(k, f);
	for (ms = 0; ms < limit_ms && fuzz_done != n;) {
		if (rnd(&seed) % 4) {
			l4_yield();
		} else {
			l4_receive(l4_myself(), 1000, NULL);
			ms++;
		}
		perturb(&seed, f);
	}
	for (int k = 0; k < NPARTNERS; k++)
		thread_delete(partner[k]);
	thread_delete(f);
	EXPECT(fuzz_done == n, "fuzzer did not finish in %d ms (killed itself?)", limit_ms);
	/* the kernel and everyone else must still work */
	uint64_t page = page_alloc();
	EXPECT(page, "sigma0 no longer serves");
	*(volatile uint64_t *)page = 42;
	EXPECT(*(volatile uint64_t *)page == 42, "fresh page unusable");
	printf("fuzz: %lu random system calls survived (%lu partners deleted midway)\n", n, restarts);
}
