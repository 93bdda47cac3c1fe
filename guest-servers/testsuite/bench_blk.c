/* "benchblk" on the command line: 4 KiB requests through the virtio-blk
 * driver server (disk.c), sequential and random, writes then reads,
 * BENCH_BLK_REQS of each (or blkreqs=N). Printed, never asserted; driven by
 * `make bench-virtio` (tests/bench/virtio.sh). Each phase prints its raw
 * TSC cycles, and seconds by the TSC rate measured against the kernel's
 * clock over the whole run. That clock counts timer interrupts, so it
 * depends on the VMM's timer emulation and on how late the ticks arrive;
 * the harness compares VMMs by the raw cycles and one TSC rate taken
 * outside both (the L1's), and prints this rate only as a cross-check.
 * Every number is printed at a fixed width, so a run
 * with blkreqs=0 writes exactly as many serial bytes: the harness subtracts
 * its exit count to get the exits the requests alone cost. */
#include "suite.h"

#define BENCH_BLK_REQS 256
#define BLOCK_SECTORS  8        /* 4 KiB, the client's buffer page */

/* blkreqs=N on the command line, or the default. */
static uint64_t bench_reqs(void)
{
	static const char key[] = "blkreqs=";
	for (const char *p = prog_info->cmdline; *p; p++) {
		if ((p != prog_info->cmdline && p[-1] != ' ') || memcmp(p, key, sizeof(key) - 1))
			continue;
		uint64_t n = 0;
		for (p += sizeof(key) - 1; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (uint64_t)(*p - '0');
		return n;
	}
	return BENCH_BLK_REQS;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct phase {
	const char *name;
	bool write, random;
	uint64_t cycles;
};

/* Runs one phase over the disk's 4 KiB blocks; -1 if a request failed. */
static int phase_run(struct phase *ph, uint64_t reqs, uint64_t blocks, uint8_t *buf)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	memset(buf, ph->write ? 0x5a : 0, 4096);
	uint64_t t0 = rdtsc();
	for (uint64_t i = 0; i < reqs; i++) {
		uint64_t block = ph->random ? xorshift(&seed) % blocks : i % blocks;
		if ((ph->write ? blk_write : blk_read)(block * BLOCK_SECTORS, BLOCK_SECTORS))
			return -1;
	}
	ph->cycles = rdtsc() - t0;
	return 0;
}

void bench_blk_run(void)
{
	uint64_t capacity, reqs = bench_reqs();
	uint8_t *buf = blk_open(&capacity);
	if (!buf)
		return;
	uint64_t blocks = capacity / BLOCK_SECTORS;
	if (!blocks) {
		printf("benchblk: the disk has only %lu sectors\n", capacity);
		return;
	}
	struct phase ph[] = {
		{ "seq-write ", true,  false, 0 },       /* names padded to one width */
		{ "seq-read  ", false, false, 0 },
		{ "rand-write", true,  true,  0 },
		{ "rand-read ", false, true,  0 },
	};
	uint64_t tsc0 = rdtsc(), us0 = l4_clock_us();
	for (unsigned i = 0; i < sizeof(ph) / sizeof(ph[0]); i++)
		if (phase_run(&ph[i], reqs, blocks, buf))
			return;
	if (blk_flush())
		return;
	/* at least 100 ms of the kernel's 1 ms ticks, for a TSC rate within 1% */
	while (l4_clock_us() - us0 < 100000)
		;
	uint64_t tsc_per_ms = (rdtsc() - tsc0) * 1000 / (l4_clock_us() - us0);
	printf("benchblk: %10lu requests of 4 KiB per phase over %10lu blocks, TSC %10lu kHz\n",
	       reqs, blocks, tsc_per_ms);
	for (unsigned i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		uint64_t us = ph[i].cycles * 1000 / tsc_per_ms;
		uint64_t rps = us ? reqs * 1000000 / us : 0;
		printf("benchblk: %s %14lu cycles %10lu us %10lu KiB/s %10lu req/s\n",
		       ph[i].name, ph[i].cycles, us, rps * 4, rps);
	}
}
