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

/* Like echo, but stamps each request on arrival: the reply's MR1 is the
 * callee's TSC right after its receive returned. */
static void echo_stamped(void)
{
	uint64_t mr[4] = { 0 }, from;
	l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	for (;;) {
		mr[1] = rdtsc();
		l4_ipc_regs(from, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	}
}

static void echo_stamped_space(uint64_t arg)
{
	(void)arg;
	echo_stamped();
}

/* The round trip split at the callee's stamp: *call is the caller's TSC
 * before the call to the callee's stamp (the call direction), *reply the
 * stamp to the caller's TSC after the call returned (the reply-and-wait
 * direction). Best of 3 rounds by their sum. Each direction includes a
 * user-level IPC stub and an RDTSC. */
static void directions(uint64_t srv, uint64_t *call, uint64_t *reply)
{
	uint64_t mr[4];
	*call = *reply = ~0ull / 2;
	for (int round = 0; round < 3; round++) {
		uint64_t c = 0, r = 0;
		for (int i = 0; i < N; i++) {
			mr[0] = L4_TAG(1, 3, 0), mr[1] = 1, mr[2] = 2, mr[3] = 3;
			uint64_t t0 = rdtsc();
			l4_ipc_regs(srv, srv, L4_TIMEOUTS(L4_NEVER, L4_NEVER), mr, NULL);
			uint64_t t1 = rdtsc();
			c += mr[1] - t0;
			r += t1 - mr[1];
		}
		if (c / N + r / N < *call + *reply)
			*call = c / N, *reply = r / N;
	}
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
	printf("bench: null-syscall %lu cycles/op (kinfo, answered without a kernel frame)\n", best);

	/* the entry every other system call takes: a full frame, the C
	 * dispatcher, and the return through user_return */
	best = ~0ull;
	for (int round = 0; round < 3; round++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < N; i++)
			l4_syscall(L4_SYS_COUNT, 0, 0, 0, 0, NULL, NULL);   /* no such call: L4_EINVAL */
		uint64_t t = (rdtsc() - t0) / N;
		if (t < best)
			best = t;
	}
	printf("bench: general-syscall %lu cycles/op (an unknown call number, L4_EINVAL through the general path)\n", best);

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

	uint64_t call, reply;
	local = thread_new_local(echo_stamped, 0);
	directions(local, &call, &reply);
	printf("bench: ipc-call-direction-same-space %lu cycles/op (caller before call to callee after receive)\n", call);
	printf("bench: ipc-reply-wait-direction-same-space %lu cycles/op (callee after receive to caller after call)\n", reply);
	thread_delete(local);

	remote = thread_new_space(echo_stamped_space, 0);
	directions(remote, &call, &reply);
	printf("bench: ipc-call-direction-cross-space %lu cycles/op (caller before call to callee after receive)\n", call);
	printf("bench: ipc-reply-wait-direction-cross-space %lu cycles/op (callee after receive to caller after call)\n", reply);
	thread_delete(remote);

	printf("bench: address-space-switch %lu cycles/op (%s)\n",
	       cross > same ? (cross - same) / 2 : 0,
	       (k & L4_KINFO_PCID) ? "pcid, no-flush CR3 loads" : "no pcid, flushing CR3 loads");
}
