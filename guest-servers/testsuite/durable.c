/* "durable" on the command line: write a fresh pattern through the
 * virtio-blk driver server, flush, and announce it. The pattern is word i
 * of sectors DURABLE_SECTOR.. = stamp + i, the stamp a TSC value no earlier
 * run can have written. The L1 runner (tests/platforms/l1/init, @sigkill)
 * kills mkvm with SIGKILL on the blkstamp line and then reads the image:
 * what a completed flush promised must be in the host file. */
#include <mkvm/testexit.h>
#include "suite.h"

#define DURABLE_SECTOR 16
#define DURABLE_COUNT  8        /* one 4 KiB request */

/* Without its blkstamp line the run would idle until the harness's
 * timeout: end it at once with the guest's FAIL status instead. */
static void durable_fail(void)
{
	printf("durable: FAIL\n");
	if (!root_map(L4_IOFPAGE(MKVM_DEBUG_EXIT_PORT, 2)))
		__asm__ volatile("outb %0, %1" :: "a"((uint8_t)MKVM_TEST_FAIL), "Nd"((uint16_t)MKVM_DEBUG_EXIT_PORT));
}

void durable_run(void)
{
	uint64_t capacity;
	uint64_t *words = (uint64_t *)blk_open(&capacity);
	if (!words) {
		durable_fail();
		return;
	}
	if (capacity < DURABLE_SECTOR + DURABLE_COUNT) {
		printf("durable: the disk has only %lu sectors\n", capacity);
		durable_fail();
		return;
	}
	uint64_t stamp = rdtsc();
	for (int i = 0; i < DURABLE_COUNT * 64; i++)
		words[i] = stamp + (uint64_t)i;
	if (blk_write(DURABLE_SECTOR, DURABLE_COUNT) || blk_flush()) {
		durable_fail();
		return;
	}
	printf("blkstamp: sector=%u count=%u stamp=%lx\n", DURABLE_SECTOR, DURABLE_COUNT, stamp);
}
