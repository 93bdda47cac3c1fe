/* Scheduling: lazy FPU switching, timer preemption. */
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
