/* Microbenchmarks, printed and not asserted: cycles (rdtsc) per operation.
 * Under QEMU with -icount shift=0 the TSC advances once per instruction,
 * so the same numbers read as instructions per operation. */
#include "suite.h"

#define N 20000

static void echo(void)
{
	uint64_t mr[4] = { 0 }, from;
	l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	for (;;)
		l4_ipc_regs(from, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
}

static void echo_space(uint64_t arg)
{
	(void)arg;
	echo();
}

static uint64_t round_trips(uint64_t srv)
{
	uint64_t mr[4] = { L4_TAG(1, 3, 0), 1, 2, 3 }, best = ~0ull;
	for (int round = 0; round < 3; round++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < N; i++) {
			mr[0] = L4_TAG(1, 3, 0);
			l4_ipc_regs(srv, srv, L4_TIMEOUTS(L4_NEVER, L4_NEVER), mr, NULL);
		}
		uint64_t t = (rdtsc() - t0) / N;
		if (t < best)
			best = t;
	}
	return best;
}

void bench_run(void)
{
	threads_init();
	uint64_t k = l4_kinfo(), best = ~0ull;
	for (int round = 0; round < 3; round++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < N; i++)
			l4_kinfo();
		uint64_t t = (rdtsc() - t0) / N;
		if (t < best)
			best = t;
	}
	printf("bench: null-syscall %lu cycles/op\n", best);

	/* fresh heap pages, each a page fault served by the root task's pager
	 * (an IPC to it, a zeroed frame, a map item back) */
	static uint64_t next = 1 << 20;
	uint64_t base = prog_info->heap_base + next, t0 = rdtsc();
	next += 64 * 4096;
	for (int i = 0; i < 64; i++)
		*(volatile uint8_t *)(base + 4096 * (uint64_t)i) = 1;
	printf("bench: page-fault-root-pager %lu cycles/op (a fresh heap page: fault, zeroed frame, map)\n",
	       (rdtsc() - t0) / 64);

	uint64_t local = thread_new_local(echo, 0);
	uint64_t same = round_trips(local);
	printf("bench: ipc-call-reply-same-space %lu cycles/op\n", same);
	thread_delete(local);

	uint64_t remote = thread_new_space(echo_space, 0);
	uint64_t cross = round_trips(remote);
	printf("bench: ipc-call-reply-cross-space %lu cycles/op (fast path)\n", cross);
	thread_delete(remote);

	printf("bench: address-space-switch %lu cycles/op (%s)\n",
	       cross > same ? (cross - same) / 2 : 0,
	       (k & L4_KINFO_PCID) ? "pcid, no-flush CR3 loads" : "no pcid, flushing CR3 loads");
}
