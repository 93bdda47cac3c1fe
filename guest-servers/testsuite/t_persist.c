/* The persistent region (shared/mkvm/persist.h, docs/persist.md): the
 * test suite's boot.cfg line gives it persist=40, 64 pages at
 * MKVM_PERSIST_BASE, 16 times the persistence server's frame budget
 * (frames=4), so walking it evicts and faults pages back in.
 *
 * The structure: a header at the region's start and NODES_PER_PAGE nodes
 * in every page, linked in an order that jumps between pages, by absolute
 * pointers; each node carries the generation that built it. The disk runs
 * ("persist" on the command line, persist_run) build it, sync and are
 * killed; the next boot of the same disk walks it. */
#include <mkvm/persist.h>
#include <mkvm/testexit.h>
#include "suite.h"

#define U(x) ((uint64_t)(x))

#define REGION_PAGES 64         /* boot.cfg: persist=40 */
#define NODES_PER_PAGE 4
#define NODES (REGION_PAGES * NODES_PER_PAGE)
#define HEADER_MAGIC 0x6c69737450657273ull

struct node {
	struct node *next;
	uint64_t gen, index, check;
	uint64_t data;          /* not in check: written by persist-dirty-only */
};
struct header {
	uint64_t magic, gen, count;
	struct node *head;
};

#define header ((struct header *)MKVM_PERSIST_BASE)

/* Node i of generation gen: the NODES_PER_PAGE nodes of a page follow
 * each other, and the pages jump through the region (37 is prime to 64)
 * in an order that differs between generations. */
static struct node *node_at(uint64_t gen, unsigned i)
{
	unsigned page = (unsigned)((i / NODES_PER_PAGE * 37 + gen * 11) % REGION_PAGES), slot = i % NODES_PER_PAGE;
	return (struct node *)(MKVM_PERSIST_BASE + page * 4096ull + 256 + slot * 512);
}

static uint64_t node_check(const struct node *n)
{
	return (uint64_t)n->next * 31 ^ n->gen * 7 ^ n->index;
}

static void build(uint64_t gen)
{
	for (unsigned i = 0; i < NODES; i++) {
		struct node *n = node_at(gen, i);
		n->next = i + 1 < NODES ? node_at(gen, i + 1) : NULL;
		n->gen = gen;
		n->index = i;
		n->check = node_check(n);
	}
	header->magic = HEADER_MAGIC;
	header->gen = gen;
	header->count = NODES;
	header->head = node_at(gen, 0);
}

/* Walks the structure: 0 and its generation in *gen if it is whole (every
 * pointer inside the region on a node's place, every node of the header's
 * generation, in order, as many as the header says), else -1 after saying
 * what is wrong (as a FAIL of the current test if fail). */
static int walk(uint64_t *gen, bool fail)
{
	char why[120];
	why[0] = 0;
	if (header->magic != HEADER_MAGIC) {
		snprintf(why, sizeof(why), "no structure (magic %lx)", header->magic);
	} else {
		*gen = header->gen;
		unsigned i = 0;
		for (struct node *n = header->head; n && !why[0]; n = n->next, i++) {
			uint64_t a = (uint64_t)n, off = a - MKVM_PERSIST_BASE;
			if (a < MKVM_PERSIST_BASE || off >= REGION_PAGES * 4096ull || off % 4096 < 256 ||
			    (off % 4096 - 256) % 512 || i >= NODES)
				snprintf(why, sizeof(why), "node %u: pointer %lx is no node's place", i, a);
			else if (n->gen != *gen || n->index != i || n->check != node_check(n))
				snprintf(why, sizeof(why), "node %u at %lx: generation %lx (header's %lx), index %lu",
					 i, a, n->gen, *gen, n->index);
		}
		if (!why[0] && (i != NODES || header->count != NODES))
			snprintf(why, sizeof(why), "%u nodes, header says %lu", i, header->count);
	}
	if (!why[0])
		return 0;
	if (fail)
		test_fail("%s", why);
	else
		printf("persist-test: %s\n", why);
	return -1;
}

static uint64_t server(void)
{
	return name_lookup("persist", SERVER_TIMEOUT_US);
}

/* A request to the persistence server: 0 with the reply in mr[], or -1. */
static int request(uint64_t label)
{
	uint64_t *mr = l4_utcb()->mr, srv = server();
	if (!srv)
		return -1;
	mr[0] = L4_TAG(label, 0, 0);
	int err = l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, L4_NEVER), NULL);
	return err || L4_TAG_LABEL(mr[0]) != MKVM_PERSIST_OK ? -1 : 0;
}

static int sync(void) { return request(MKVM_PERSIST_SYNC); }

struct pstats { uint64_t reads, zeroes, writebacks, evictions, synced, syncs, frames; };

static int stats(struct pstats *s)
{
	uint64_t *mr = l4_utcb()->mr;
	if (request(MKVM_PERSIST_STATS))
		return -1;
	*s = (struct pstats){ mr[1], mr[2], mr[3], mr[4], mr[5], mr[6], mr[7] };
	return 0;
}

static bool present(void)
{
	if (server())
		return true;
	test_skip("no persistence server (no virtio-blk disk)");
	return false;
}

/* ---- in-guest tests (the suite's "test" run) ---- */

static uint64_t built_gen;

/* Builds the structure over the whole region (16 times the frame budget:
 * dirty pages are written back on eviction), syncs, and walks it (the
 * evicted pages come back from the disk). */
void t_persist_region(void)
{
	struct pstats a, b, c;
	uint64_t gen;
	if (!present())
		return;
	EXPECT(!stats(&a), "no statistics");
	EXPECT(a.frames * 16 <= REGION_PAGES, "frame budget %lu: the region is not 16 times larger", a.frames);
	built_gen = rdtsc() | 1;
	build(built_gen);
	EXPECT(!sync(), "sync failed");
	EXPECT(!stats(&b), "no statistics");
	EXPECT(b.evictions - a.evictions >= REGION_PAGES - a.frames, "%lu evictions for %u pages",
	       b.evictions - a.evictions, U(REGION_PAGES));
	EXPECT(b.writebacks > a.writebacks, "no dirty page written back on eviction");
	EXPECT(b.syncs == a.syncs + 1, "syncs %lu -> %lu", a.syncs, b.syncs);
	if (walk(&gen, true))
		return;
	EXPECT(gen == built_gen, "generation %lx, built %lx", gen, built_gen);
	EXPECT(!stats(&c), "no statistics");
	EXPECT(c.reads - b.reads >= REGION_PAGES - c.frames, "the walk read %lu pages from the disk", c.reads - b.reads);
	printf("persist-region: %d pages, %lu frames: %lu evictions (%lu written back), %lu pages read back\n",
	       REGION_PAGES, c.frames, c.evictions - a.evictions, b.writebacks - a.writebacks, c.reads - b.reads);
}

/* After a sync only pages written since are written: a walk (reads only)
 * then a sync writes none; reads of three pages, then writes to them (each
 * page in a frame already, so only its read-only mapping can make the
 * write fault and the page dirty), then a sync writes three. */
void t_persist_dirty_only(void)
{
	struct pstats a, b, c;
	uint64_t gen;
	if (!present())
		return;
	EXPECT(built_gen, "persist-region did not build the structure");
	EXPECT(!walk(&gen, true), "walk");
	EXPECT(!stats(&a) && !sync() && !stats(&b), "sync failed");
	EXPECT(b.synced == a.synced && b.writebacks == a.writebacks, "a sync after reads wrote %lu pages",
	       b.synced - a.synced + b.writebacks - a.writebacks);
	uint64_t read = 0;
	for (unsigned i = 0; i < 3; i++)        /* in frames, clean: mapped read-only */
		read += node_at(built_gen, i * NODES_PER_PAGE)->data;
	for (unsigned i = 0; i < 3; i++)        /* so that the first write faults */
		node_at(built_gen, i * NODES_PER_PAGE)->data = read + i + 1;
	EXPECT(!sync() && !stats(&c), "sync failed");
	EXPECT(c.synced - b.synced == 3 && c.writebacks == b.writebacks, "three pages written, the sync wrote %lu (+%lu on eviction)",
	       c.synced - b.synced, c.writebacks - b.writebacks);
}

/* The persistence server crashes with a new generation built but not
 * synced: its next instance finds the synced one, whole. */
void t_persist_restart(void)
{
	uint64_t gen, why, addr;
	if (!present())
		return;
	EXPECT(built_gen, "persist-region did not build the structure");
	int status, ends = program_ends("persist", &status, &why, &addr);
	build(built_gen + 2);
	EXPECT(ends >= 0 && !program_crash("persist", MKVM_CRASH_WILD), "the root task did not pass on the crash order");
	for (uint64_t t0 = l4_clock_us(); program_ends("persist", &status, &why, &addr) == ends &&
	     l4_clock_us() - t0 < SERVER_TIMEOUT_US; )
		l4_receive(l4_myself(), 1000, NULL);
	EXPECT(program_ends("persist", &status, &why, &addr) == ends + 1 && why == MKVM_END_FAULT,
	       "the persistence server did not end by its fault (how %lu)", why);
	EXPECT(server(), "no persistence server after the restart");
	if (walk(&gen, true))
		return;
	EXPECT(gen == built_gen, "generation %lx after the crash, synced %lx", gen, built_gen);
	EXPECT(node_at(built_gen, 2 * NODES_PER_PAGE)->data == node_at(built_gen, 0)->data + 2,
	       "data of the last sync lost");
}

/* A program without a region: its sync and a forged fault request are
 * refused, and a touch of the region's address ends it. */
void t_persist_isolation(void)
{
	int status;
	uint64_t why, addr;
	if (!present())
		return;
	EXPECT(!hostile_run("persist", &status, &why, &addr), "hostile persist did not run or did not end");
	EXPECT(why == MKVM_END_EXIT && status == 0, "hostile persist: ended %lu, %d attempts allowed", why, U(status));
	EXPECT(!hostile_run("persist-touch", &status, &why, &addr), "hostile persist-touch did not run or did not end");
	EXPECT(why == MKVM_END_FAULT && addr >> 12 == MKVM_PERSIST_BASE >> 12, "hostile persist-touch ended %lu at %lx",
	       why, addr);
}

/* ---- the disk runs: "persist" and one of the words below ---- */

static void finish(bool ok)
{
	if (!root_map(L4_IOFPAGE(MKVM_DEBUG_EXIT_PORT, 2)))
		__asm__ volatile("outb %0, %1" :: "a"((uint8_t)(ok ? MKVM_TEST_PASS : MKVM_TEST_FAIL)),
				 "Nd"((uint16_t)MKVM_DEBUG_EXIT_PORT));
}

static bool check(const char *name, uint64_t want)
{
	uint64_t gen = 0;
	bool whole = !walk(&gen, false);
	if (!whole)
		printf("FAIL %s: the structure is broken\n", name);
	else if (gen != want)
		printf("FAIL %s: generation %lx, want %lx\n", name, gen, want);
	else
		printf("ok %s\n", name);
	return whole && gen == want;
}

/* persist-build: generation 1 over the whole region, synced; then the
 * line the runner kills the VMM on. persist-midsync (the next boot, with
 * persist-pause): generation 1 must be whole; generation 2 built and a
 * sync started, which the persistence server pauses halfway (the kill
 * lands there). persist-check (the boot after): generation 1 still whole,
 * then the figures (persist_bench). */
void persist_run(void)
{
	const char *c = prog_info->cmdline;
	if (!server()) {
		printf("FAIL persist: no persistence server\n");
		finish(false);
		return;
	}
	if (cmdline_has(c, "persist-build")) {
		build(1);
		if (sync()) {
			printf("FAIL persist-build: sync failed\n");
			finish(false);
			return;
		}
		printf("persist-synced: generation 1, %d nodes in %d pages\n", NODES, REGION_PAGES);
	} else if (cmdline_has(c, "persist-midsync")) {
		if (!check("persist-after-kill", 1)) {
			finish(false);
			return;
		}
		build(2);
		sync();
		printf("FAIL persist-midsync: the sync was not interrupted\n");
		finish(false);
	} else if (cmdline_has(c, "persist-check")) {
		bool ok = check("persist-after-midsync-kill", 1);
		struct pstats s = { 0 };
		if (stats(&s) || s.reads < REGION_PAGES - s.frames) {
			printf("FAIL persist-evict: %lu pages read for %d pages with %lu frames\n", s.reads, REGION_PAGES, s.frames);
			ok = false;
		} else {
			printf("ok persist-evict\n");
		}
		persist_bench();
		finish(ok);
	}
}
