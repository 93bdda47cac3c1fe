/* Figures of the persistent region against the block driver itself
 * (printed, never asserted; docs/persist.md): per 4 KiB page, the TSC
 * cycles of
 *   fault-in    a read of a page not in a frame (a clean page evicted, the
 *               block read)    vs a direct 8-sector READ;
 *   write-back  a write of a page not in a frame whose victim is dirty (the
 *               victim's block written, the page's read) vs a direct WRITE
 *               plus a direct READ;
 *   sync        a sync of the frame budget's dirty pages (pages, page map,
 *               flush, superblock, flush) vs as many direct WRITEs, one
 *               more, a FLUSH, one more WRITE and a FLUSH.
 * The direct requests go to sectors below the store (MKVM_PERSIST_SECTOR),
 * from the test suite's own buffer page. */
#include <mkvm/persist.h>
#include "suite.h"

#define PAGES 64                /* the region (boot.cfg: persist=40) */
#define DIRECT_SECTOR 32
#define DIRECT_BLOCKS 24        /* up to the store's first sector */

static volatile uint64_t *page_word(unsigned i)
{
	return (volatile uint64_t *)(MKVM_PERSIST_BASE + i * 4096ull + 4088);
}

static uint64_t per(uint64_t cycles, uint64_t n) { return n ? cycles / n : 0; }

static void row(const char *what, uint64_t n, uint64_t cycles, uint64_t direct)
{
	printf("persist-bench: %s: %lu pages, %lu cycles a page, direct %lu (%lu.%02lux)\n", what, n,
	       per(cycles, n), direct, direct ? per(cycles, n) / direct : 0,
	       direct ? per(cycles, n) * 100 / direct % 100 : 0);
}

static int persist_sync(void)
{
	uint64_t *mr = l4_utcb()->mr, srv = name_lookup("persist", SERVER_TIMEOUT_US);
	mr[0] = L4_TAG(MKVM_PERSIST_SYNC, 0, 0);
	return !srv || l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, L4_NEVER), NULL) ||
	       L4_TAG_LABEL(mr[0]) != MKVM_PERSIST_OK ? -1 : 0;
}

static uint64_t frame_budget(void)
{
	uint64_t *mr = l4_utcb()->mr, srv = name_lookup("persist", SERVER_TIMEOUT_US);
	mr[0] = L4_TAG(MKVM_PERSIST_STATS, 0, 0);
	if (!srv || l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, L4_NEVER), NULL))
		return 0;
	return mr[7];
}

void persist_bench(void)
{
	uint64_t capacity, t, rd, wr, fl, frames = frame_budget();
	if (!frames || !blk_open(&capacity)) {
		printf("persist-bench: no persistence server or disk\n");
		return;
	}
	t = rdtsc();
	for (unsigned i = 0; i < DIRECT_BLOCKS; i++)
		if (blk_read(DIRECT_SECTOR + i * 8, 8))
			return;
	rd = per(rdtsc() - t, DIRECT_BLOCKS);
	t = rdtsc();
	for (unsigned i = 0; i < DIRECT_BLOCKS; i++)
		if (blk_write(DIRECT_SECTOR + i * 8, 8))
			return;
	wr = per(rdtsc() - t, DIRECT_BLOCKS);
	t = rdtsc();
	for (unsigned i = 0; i < frames + 2; i++)
		if (blk_write(DIRECT_SECTOR + i * 8, 8) || (i >= frames && blk_flush()))
			return;
	fl = rdtsc() - t;

	for (unsigned i = 0; i < PAGES; i++)      /* every page on the disk, clean */
		*page_word(i) = i;
	if (persist_sync())
		return;
	uint64_t sum = 0;
	t = rdtsc();
	for (unsigned i = 0; i < PAGES; i++)
		sum += *page_word(i);
	row("fault-in", PAGES, rdtsc() - t, rd);
	for (unsigned i = 0; i < PAGES; i++)      /* every frame dirty */
		*page_word(i) = sum + i;
	t = rdtsc();
	for (unsigned i = 0; i < PAGES; i++)
		*page_word(i) = sum + i + 1;
	row("write-back", PAGES, rdtsc() - t, rd + wr);
	t = rdtsc();
	if (persist_sync())
		return;
	row("sync", frames, rdtsc() - t, per(fl, frames));
}
