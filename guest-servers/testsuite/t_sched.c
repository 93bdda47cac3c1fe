/* Scheduling: lazy FPU switching, timer preemption; and the hostile-task
 * test, a system-call fuzzer. */
#include "suite.h"

#define U(x) ((uint64_t)(x))

static volatile uint64_t fpu_bad, fpu_done;

static void fpu_worker(void)
{
	uint64_t pattern = thread_arg(), got;
	__asm__ volatile("movq %0, %%xmm3" :: "r"(pattern));
	for (int i = 0; i < 300; i++) {
		l4_yield();
		__asm__ volatile("movq %%xmm3, %0" : "=r"(got));
		if (got != pattern)
			fpu_bad++;
	}
	fpu_done++;
	sleep_forever();
}

void t_fpu(void)
{
	fpu_bad = fpu_done = 0;
	uint64_t a = thread_new_local(fpu_worker, 0x1111222233334444ull);
	uint64_t b = thread_new_local(fpu_worker, 0x5555666677778888ull);
	EXPECT(a && b, "cannot create threads");
	uint64_t mine = 0x9999aaaabbbbccccull, got;
	__asm__ volatile("movq %0, %%xmm3" :: "r"(mine));
	for (int i = 0; i < 100000 && fpu_done < 2; i++)
		l4_yield();
	__asm__ volatile("movq %%xmm3, %0" : "=r"(got));
	thread_delete(a);
	thread_delete(b);
	EXPECT(fpu_done == 2, "workers did not finish");
	EXPECT(!fpu_bad, "%d corrupted register reads", fpu_bad);
	EXPECT(got == mine, "the suite's xmm3 corrupted: %lx", got);
}

static volatile uint64_t spins;

static void spinner(void)
{
	for (;;)
		spins++;
}

void t_preempt(void)
{
	spins = 0;
	uint64_t s = thread_new_local(spinner, 0);
	EXPECT(s, "cannot create spinner");
	/* the spinner never yields: we only get the CPU back by preemption */
	l4_yield();
	uint64_t s1 = spins;
	int err = l4_receive(l4_myself(), 30000, NULL);  /* a timeout while it spins */
	uint64_t s2 = spins;
	thread_delete(s);
	EXPECT(s1 > 0, "the spinner never ran");
	EXPECT(err == (L4_ETIMEOUT | L4_E_RECV), "30 ms receive timeout gave %x", U(err));
	EXPECT(s2 > s1, "the spinner did not run during our timeout");
}

/* The fuzzer: random system calls with random arguments from an
 * unprivileged space. To keep the run short, timeouts are zero or 1 ms,
 * kdb_write is left out (it would only print noise), and IPC avoids
 * sigma0 and the root task's pager, which trust their clients. */
static volatile uint64_t fuzz_done, fuzz_partner;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t fuzz_tid(uint64_t *s)
{
	switch (rnd(s) % 8) {
	case 0: return l4_myself();
	case 1: return fuzz_partner;
	case 2: return L4_IRQ_TID(rnd(s) % L4_NIRQ);
	case 3: return L4_ANYTHREAD;
	case 4: return L4_NILTHREAD;
	case 5: return L4_TID(40 + rnd(s) % 600, rnd(s) % 3);
	default: return rnd(s);
	}
}

static void fuzz_partner_fn(uint64_t arg)
{
	(void)arg;
	uint64_t from;
	for (;;)
		l4_ipc(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), &from);
}

static void fuzzer(uint64_t iterations)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint64_t *mr = l4_utcb()->mr;
	for (uint64_t i = 0; i < iterations; i++) {
		uint64_t nr = rnd(&seed) % (L4_SYS_COUNT + 2), a[4];
		for (int k = 0; k < 4; k++)
			a[k] = rnd(&seed);
		if (nr == L4_SYS_KDB_WRITE)
			nr = L4_SYS_KINFO;
		if (nr == L4_SYS_IPC) {
			uint64_t to = fuzz_tid(&seed), from = fuzz_tid(&seed);
			uint32_t t = rnd(&seed) % 64 ? 0 : 1000;
			for (int k = 0; k < 8; k++)
				mr[k] = rnd(&seed);
			mr[0] = L4_TAG(rnd(&seed), rnd(&seed) % 8, (rnd(&seed) % 4) * 2) ^ (rnd(&seed) % 4 ? 0 : rnd(&seed));
			l4_ipc(to, from, L4_TIMEOUTS(t, t), NULL);
			continue;
		}
		if (nr == L4_SYS_EXREGS || nr == L4_SYS_THREAD_SWITCH || nr == L4_SYS_SCHEDULE)
			a[0] = fuzz_tid(&seed);
		if (nr == L4_SYS_UNMAP && rnd(&seed) % 2)
			a[0] = L4_FPAGE(rnd(&seed) & 0x7fffffff000ull, 12 + rnd(&seed) % 20, rnd(&seed));
		l4_syscall(nr, a[0], a[1], a[2], a[3], NULL, NULL);
	}
	fuzz_done = iterations;
	sleep_forever();
}

void t_fuzz(void)
{
	/* "fuzzlong" on the command line: a long run */
	const uint64_t n = cmdline_has(prog_info->cmdline, "fuzzlong") ? 2000000 : 20000;
	fuzz_done = 0;
	plog.resume_ip = 0;
	uint64_t f = thread_new_space(fuzzer, n);
	EXPECT(f, "cannot create the fuzzer's space");
	fuzz_partner = thread_new_in(f, fuzz_partner_fn, 0);
	for (uint64_t i = 0; i < 100 * n && fuzz_done != n; i++)
		l4_yield();
	EXPECT(fuzz_done == n, "fuzzer did not finish (killed itself?)");
	thread_delete(fuzz_partner);
	thread_delete(f);
	/* the kernel and everyone else must still work */
	uint64_t page = page_alloc();
	EXPECT(page, "sigma0 no longer serves");
	*(volatile uint64_t *)page = 42;
	EXPECT(*(volatile uint64_t *)page == 42, "fresh page unusable");
	printf("fuzz: %lu random system calls survived\n", n);
}
