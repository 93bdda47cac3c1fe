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

/* The first thread of a space copy: waits for one message, then ends
 * the copy. */
static void copy_waits(uint64_t unused)
{
	uint64_t mr[4] = { 0 };
	(void)unused;
	l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, NULL);
	prog_exit(0);
}

#define FAULT_PAGES 32
#define FAULT_ROUNDS 3
static uint8_t cow_area[2 * FAULT_ROUNDS][FAULT_PAGES][4096] __attribute__((aligned(4096)));

/* Cycles per write to each page of area (one page fault each). */
static uint64_t write_pages(uint8_t (*area)[4096])
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < FAULT_PAGES; i++)
		*(volatile uint8_t *)area[i] = 2;
	return (rdtsc() - t0) / FAULT_PAGES;
}

static void best(uint64_t *b, uint64_t t)
{
	if (t < *b)
		*b = t;
}

/* Page faults served by the root task's pager, each kind best of
 * FAULT_ROUNDS rounds of FAULT_PAGES pages (docs/cow.md): a fresh heap
 * page (zeroed frame); a page of ours shared with a copy of our space
 * (copied frame); the same once the copy has ended (the frame taken
 * over, no copy); a page whose frame the pager already holds (our own
 * mapping removed: no frame work at all). */
static void bench_faults(void)
{
	uint64_t fresh = ~0ull, copied = ~0ull, last = ~0ull, remap = ~0ull;
	uint64_t heap = prog_info->heap_base + (1 << 20);
	for (int r = 0; r < FAULT_ROUNDS; r++, heap += FAULT_PAGES * 4096)
		best(&fresh, write_pages((uint8_t (*)[4096])heap));
	printf("bench: page-fault-root-pager %lu cycles/op (a fresh heap page: fault, zeroed frame, map)\n", fresh);
	for (int a = 0; a < 2 * FAULT_ROUNDS; a++)
		for (int i = 0; i < FAULT_PAGES; i++)
			*(volatile uint8_t *)cow_area[a][i] = 1;
	struct frame_info f;
	uint64_t t0 = rdtsc(), copy = space_copy(copy_waits, MKVM_PROG_STACK_TOP - 8, 0), t = rdtsc() - t0;
	if (!copy || program_frame(copy, MKVM_PROG_BASE, &f) || !f.frames) {
		printf("bench: no space copy (the root task refused)\n");
		return;
	}
	printf("bench: space-copy-per-page %lu cycles/op (the copy of our %lu pages, started)\n", t / f.frames, f.frames);
	for (int r = 0; r < FAULT_ROUNDS; r++)
		best(&copied, write_pages(cow_area[r]));
	printf("bench: page-fault-cow-copy %lu cycles/op (a page shared with a space copy: fault, copied frame, map)\n",
	       copied);
	uint64_t mr[4] = { L4_TAG(0, 0, 0) };
	l4_ipc_regs(copy, L4_NILTHREAD, L4_TIMEOUTS(L4_NEVER, 0), mr, NULL);
	for (int i = 0; i < 1000 && !program_frame(copy, MKVM_PROG_BASE, &f); i++)
		l4_receive(l4_myself(), 1000, NULL);
	for (int r = 0; r < FAULT_ROUNDS; r++)
		best(&last, write_pages(cow_area[FAULT_ROUNDS + r]));
	printf("bench: page-fault-cow-last %lu cycles/op (shared, but the copy has ended: fault, frame taken over, map)\n",
	       last);
	for (int r = 0; r < FAULT_ROUNDS; r++) {
		for (int i = 0; i < FAULT_PAGES; i++)
			l4_unmap(L4_FPAGE((uint64_t)cow_area[0][i], 12, L4_RWX), L4_UNMAP_SELF);
		best(&remap, write_pages(cow_area[0]));
	}
	printf("bench: page-fault-remap %lu cycles/op (a frame the pager holds: fault, map)\n", remap);
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

/* Runs name with "bench" and waits for it to end: false if it would not start. */
static bool bench_program(const char *name)
{
	int status;
	uint64_t why, addr;
	int ends = program_ends(name, &status, &why, &addr);
	if (ends < 0 || program_run(name, "bench"))
		return false;
	while (program_ends(name, &status, &why, &addr) == ends)
		l4_receive(l4_myself(), 10000, NULL);
	return true;
}

/* Zone calls (docs/zones.md): zonedemo (call gates) and zonedemo-kernel
 * (kernel zone calls) print their own bench lines, one after the other,
 * beside kvserver, the same library as a server of its own. */
static void bench_zones(void)
{
	if (!(l4_kinfo() & L4_KINFO_PKU)) {
		printf("bench: zone calls: not measured, no PKU on this CPU\n");
		return;
	}
	if (!name_lookup("kvserver", 0))
		program_run("kvserver", "");
	if (!bench_program("zonedemo") || !bench_program("zonedemo-kernel"))
		printf("bench: zone calls: zonedemo would not start\n");
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

	bench_faults();

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
	bench_zones();
}
