/* The persistence pager: regions of programs' spaces kept on the disk
 * through the virtio-blk driver server (shared/mkvm/persist.h, design in
 * docs/persist.md). It holds a fixed budget of frames (its own pages, the
 * argument frames=N of its boot.cfg line) and maps them through the root
 * task to the programs; when all are in use it evicts one (a dirty page is
 * written to a fresh block first, then the frame is unmapped from every
 * space it went to). Shadow paging keeps the disk consistent: a page is
 * never written over a block the committed superblock reaches, and a sync
 * ends by writing the other superblock. */
#include <mkvm/blk.h>
#include <mkvm/persist.h>
#include "../lib/clients.h"
#include "../lib/prog.h"

#define MAX_FRAMES 64
#define DEFAULT_FRAMES 4
#define MAX_REGIONS 4           /* in memory at once (the disk holds up to MKVM_PERSIST_REGIONS) */
#define MAX_BLOCKS 8192         /* the store's largest size: 32 MiB */
#define NO_FRAME 0xffff

struct frame {
	int region;                     /* -1: free */
	uint32_t page;
	bool dirty;
};

struct region {
	char name[24];
	uint32_t pages;
	uint64_t space;                 /* the program that last faulted here */
	int slot;                       /* its entry in the superblock */
	uint32_t map_block;             /* its committed page map's block, or 0 */
	uint32_t cmap[MKVM_PERSIST_MAX_PAGES];  /* page -> block, as committed */
	uint32_t wmap[MKVM_PERSIST_MAX_PAGES];  /* as it is now (evicted dirty pages moved) */
	uint16_t frame[MKVM_PERSIST_MAX_PAGES]; /* page -> frame, or NO_FRAME */
};

static uint8_t pool[MAX_FRAMES][4096] __attribute__((aligned(4096)));
static uint8_t io[4096] __attribute__((aligned(4096)));        /* mapped to the block driver */
static struct frame frames[MAX_FRAMES];
static unsigned nframes, hand;  /* the budget; the eviction clock */
static struct region regions[MAX_REGIONS];
static unsigned nregions;
static struct mkvm_persist_super super;
static uint8_t used[MAX_BLOCKS / 8];    /* blocks the committed or the current state reaches */
static uint32_t nblocks, next_free;
static uint64_t blk;
static bool pause_mid_sync;
static struct { uint64_t reads, zeroes, writebacks, evictions, synced, syncs; } stats;

/* ---- blocks ---- */

static bool block_used(uint32_t b) { return used[b / 8] >> (b % 8) & 1; }
static void block_take(uint32_t b) { used[b / 8] |= (uint8_t)(1u << (b % 8)); }
static void block_free(uint32_t b) { if (b) used[b / 8] &= (uint8_t)~(1u << (b % 8)); }

/* A block neither state reaches (taken), or 0 when the disk is full. */
static uint32_t block_alloc(void)
{
	for (uint32_t i = 0; i < nblocks; i++) {
		uint32_t b = (next_free + i) % nblocks;
		if (b >= 2 && !block_used(b)) {
			block_take(b);
			next_free = b + 1;
			return b;
		}
	}
	return 0;
}

/* One request to the block driver on the io page: 0 or -1. The driver has
 * one buffer, the last client's to map one: after MKVM_BLK_ENOBUF (another
 * client mapped its page since) the io page is mapped again and the
 * request repeated; after an IPC error (the driver was restarted) its next
 * instance is looked up first. */
static int blk_io(uint64_t label, uint64_t sector, uint64_t count)
{
	uint64_t *mr = l4_utcb()->mr;
	for (int attempt = 0; attempt < 3; attempt++) {
		int err = blk_request(blk, label, sector, count);
		if (!err && L4_TAG_LABEL(mr[0]) == MKVM_BLK_OK)
			return 0;
		if (!err && (L4_TAG_LABEL(mr[0]) != MKVM_BLK_ERROR || mr[1] != MKVM_BLK_ENOBUF))
			return -1;
		if (err && !(blk = name_lookup("virtio-blk", SERVER_TIMEOUT_US)))
			return -1;
		if (blk_setbuf(blk, (uint64_t)io) || L4_TAG_LABEL(mr[0]) != MKVM_BLK_OK)
			return -1;
	}
	return -1;
}

static uint64_t sector_of(uint32_t b) { return MKVM_PERSIST_SECTOR + (uint64_t)b * 8; }

static int block_read(uint32_t b, void *to)
{
	if (blk_io(MKVM_BLK_READ, sector_of(b), 8))
		return -1;
	memcpy(to, io, 4096);
	return 0;
}

static int block_write(uint32_t b, const void *from, uint64_t sectors)
{
	memcpy(io, from, sectors * 512);
	return blk_io(MKVM_BLK_WRITE, sector_of(b), sectors);
}

/* ---- the superblock ---- */

static uint64_t super_sum(const struct mkvm_persist_super *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *p = (const uint8_t *)s;
	for (size_t i = 0; i < offsetof(struct mkvm_persist_super, sum); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* The newer of the two valid superblocks into super (none: an empty store). */
static int super_load(void)
{
	struct mkvm_persist_super s[2];
	static uint8_t b[4096];
	for (int i = 0; i < 2; i++) {
		if (block_read((uint32_t)i, b))
			return -1;
		memcpy(&s[i], b, sizeof(s[i]));
	}
	memset(&super, 0, sizeof(super));
	for (int i = 0; i < 2; i++)
		if (s[i].magic == MKVM_PERSIST_MAGIC && s[i].sum == super_sum(&s[i]) && s[i].seq >= super.seq)
			super = s[i];
	return 0;
}

/* Writes super (seq advanced) into the slot the committed one is not in,
 * one sector, and flushes. */
static int super_commit(void)
{
	static uint8_t sector[512];
	super.magic = MKVM_PERSIST_MAGIC;
	super.seq++;
	super.sum = super_sum(&super);
	memset(sector, 0, sizeof(sector));
	memcpy(sector, &super, sizeof(super));
	return block_write((uint32_t)(super.seq & 1), sector, 1) || blk_io(MKVM_BLK_FLUSH, 0, 0) ? -1 : 0;
}

/* ---- regions ---- */

/* The region of the program name (pages long), loaded from the disk or
 * new; NULL if none can be had. */
static struct region *region_get(const char *name, uint32_t pages)
{
	for (unsigned i = 0; i < nregions; i++)
		if (!memcmp(regions[i].name, name, 24))
			return &regions[i];
	if (nregions == MAX_REGIONS)
		return NULL;
	int slot = -1;
	for (int i = 0; i < MKVM_PERSIST_REGIONS && slot < 0; i++)
		if (!memcmp(super.region[i].name, name, 24))
			slot = i;
	for (int i = 0; i < MKVM_PERSIST_REGIONS && slot < 0; i++)
		if (!super.region[i].name[0])
			slot = i;
	if (slot < 0)
		return NULL;
	struct region *r = &regions[nregions];
	memset(r, 0, sizeof(*r));
	memcpy(r->name, name, 24);
	r->pages = pages;
	r->slot = slot;
	memset(r->frame, 0xff, sizeof(r->frame));
	if (!memcmp(super.region[slot].name, name, 24) && super.region[slot].map) {
		r->map_block = super.region[slot].map;
		if (block_read(r->map_block, r->cmap))
			return NULL;
		memcpy(r->wmap, r->cmap, sizeof(r->cmap));
	}
	nregions++;
	return r;
}

/* Marks every block the committed superblock reaches as used. */
static int store_mount(void)
{
	if (super_load())
		return -1;
	static uint32_t map[MKVM_PERSIST_MAX_PAGES];
	for (int i = 0; i < MKVM_PERSIST_REGIONS; i++) {
		uint32_t m = super.region[i].map;
		if (!super.region[i].name[0] || !m)
			continue;
		if (m >= nblocks || block_read(m, map))
			return -1;
		block_take(m);
		for (uint32_t p = 0; p < MKVM_PERSIST_MAX_PAGES; p++)
			if (map[p] && map[p] < nblocks)
				block_take(map[p]);
	}
	return 0;
}

/* ---- frames ---- */

static uint64_t frame_va(unsigned f) { return (uint64_t)pool[f]; }

/* Writes a dirty frame's page to a fresh block: the current map moves to
 * it, and a block only the current map reached is free again. */
static int frame_write(unsigned f)
{
	struct region *r = &regions[frames[f].region];
	uint32_t p = frames[f].page, b = block_alloc();
	if (!b || block_write(b, pool[f], 8))
		return -1;
	if (r->wmap[p] != r->cmap[p])
		block_free(r->wmap[p]);
	r->wmap[p] = b;
	frames[f].dirty = false;
	return 0;
}

/* A frame for a new page: a free one, or the clock's next victim, written
 * back if dirty and unmapped from every space it went to (the root task's
 * window and the program's region). -1 if a write-back failed. */
static int frame_take(void)
{
	for (unsigned i = 0; i < nframes; i++)
		if (frames[i].region < 0)
			return (int)i;
	unsigned f = hand;
	hand = (hand + 1) % nframes;
	l4_unmap(L4_FPAGE(frame_va(f), 12, L4_RWX), 0);
	if (frames[f].dirty) {
		if (frame_write(f))
			return -1;
		stats.writebacks++;
	}
	regions[frames[f].region].frame[frames[f].page] = NO_FRAME;
	frames[f].region = -1;
	stats.evictions++;
	return (int)f;
}

/* ---- requests ---- */

static void reply_error(uint64_t *mr, uint64_t err)
{
	mr[0] = L4_TAG(MKVM_PERSIST_ERROR, 1, 0);
	mr[1] = err;
}

/* The root task's fault for a program's region (shared/mkvm/persist.h). */
static void do_fault(uint64_t *mr)
{
	uint64_t off = mr[1] & ~0xfffull, access = mr[1] & L4_RWX, pages = mr[3];
	char name[24];
	memcpy(name, &mr[4], 24);
	name[23] = 0;
	struct region *r;
	if (L4_TAG_U(mr[0]) < 6 || !pages || pages > MKVM_PERSIST_MAX_PAGES || off / 4096 >= pages || !name[0]) {
		reply_error(mr, MKVM_PERSIST_EINVAL);
		return;
	}
	if (!(r = region_get(name, (uint32_t)pages))) {
		reply_error(mr, MKVM_PERSIST_ENOSPC);
		return;
	}
	uint32_t p = (uint32_t)(off / 4096);
	r->space = mr[2];
	int f = r->frame[p];
	if (f == NO_FRAME) {
		if ((f = frame_take()) < 0) {
			reply_error(mr, MKVM_PERSIST_EIO);
			return;
		}
		if (r->wmap[p]) {
			if (block_read(r->wmap[p], pool[f])) {
				reply_error(mr, MKVM_PERSIST_EIO);
				return;
			}
			stats.reads++;
		} else {
			memset(pool[f], 0, 4096);
			stats.zeroes++;
		}
		frames[f] = (struct frame){ .region = (int)(r - regions), .page = p };
		r->frame[p] = (uint16_t)f;
	}
	if (access & L4_W)
		frames[f].dirty = true;
	mr[0] = L4_TAG(MKVM_PERSIST_OK, 0, 2);
	mr[1] = off | L4_ITEM_MAP;
	mr[2] = L4_FPAGE(frame_va((unsigned)f), 12, frames[f].dirty ? L4_R | L4_W : L4_R);
}

/* Pause in the middle of a sync (persist-pause on the command line), after
 * a line saying so: the window in which the disk tests kill the VMM. */
static void sync_pause(unsigned written, unsigned total)
{
	printf("persist-pause: sync %lu: %u of %u pages written, the superblock not yet\n", super.seq + 1, written, total);
	l4_receive(l4_myself(), 3000000, NULL);
}

/* Every dirty page of r to fresh blocks (its write right taken first, so
 * a later write faults and marks it dirty again), r's page map to a fresh
 * block, flush, the next superblock, flush; then the blocks only the old
 * state reached are free. */
static int region_sync(struct region *r)
{
	unsigned total = 0, written = 0;
	for (unsigned f = 0; f < nframes; f++)
		total += frames[f].region == r - regions && frames[f].dirty;
	for (unsigned f = 0; f < nframes; f++) {
		if (frames[f].region != r - regions || !frames[f].dirty)
			continue;
		l4_unmap(L4_FPAGE(frame_va(f), 12, L4_W), 0);
		if (frame_write(f))
			return -1;
		stats.synced++;
		if (pause_mid_sync && ++written == (total + 1) / 2)
			sync_pause(written, total);
	}
	uint32_t m = block_alloc();
	if (!m || block_write(m, r->wmap, 8) || blk_io(MKVM_BLK_FLUSH, 0, 0))
		return -1;
	memcpy(super.region[r->slot].name, r->name, 24);
	super.region[r->slot].pages = r->pages;
	super.region[r->slot].map = m;
	if (super_commit())
		return -1;
	for (uint32_t p = 0; p < MKVM_PERSIST_MAX_PAGES; p++)
		if (r->cmap[p] != r->wmap[p])
			block_free(r->cmap[p]);
	block_free(r->map_block);
	r->map_block = m;
	memcpy(r->cmap, r->wmap, sizeof(r->cmap));
	stats.syncs++;
	return 0;
}

static void do_sync(uint64_t *mr, uint64_t space)
{
	struct region *r = NULL;
	for (unsigned i = 0; i < nregions && !r; i++)
		if (regions[i].space == space)
			r = &regions[i];
	if (!r) {
		reply_error(mr, MKVM_PERSIST_EPERM);
		return;
	}
	if (region_sync(r)) {
		reply_error(mr, MKVM_PERSIST_EIO);
		return;
	}
	mr[0] = L4_TAG(MKVM_PERSIST_OK, 0, 0);
}

static void do_stats(uint64_t *mr)
{
	mr[0] = L4_TAG(MKVM_PERSIST_OK, 7, 0);
	mr[1] = stats.reads;
	mr[2] = stats.zeroes;
	mr[3] = stats.writebacks;
	mr[4] = stats.evictions;
	mr[5] = stats.synced;
	mr[6] = stats.syncs;
	mr[7] = nframes;
}

/* The budget from the argument frames=N (decimal). */
static unsigned budget(void)
{
	const char *a = prog_info->args;
	unsigned n = 0;
	for (; *a; a++) {
		if (!memcmp(a, "frames=", 7)) {
			for (a += 7; *a >= '0' && *a <= '9'; a++)
				n = n * 10 + (unsigned)(*a - '0');
			break;
		}
	}
	return n && n <= MAX_FRAMES ? n : DEFAULT_FRAMES;
}

static int setup(void)
{
	uint64_t *mr = l4_utcb()->mr;
	/* every page of ours written now: a fault of ours while the root
	 * task waits for us would never be served */
	nframes = budget();
	memset(pool, 0, nframes * sizeof(pool[0]));     /* the budget's pages only */
	memset(io, 0, sizeof(io));
	memset(regions, 0, sizeof(regions));
	memset(used, 0, sizeof(used));
	for (unsigned i = 0; i < MAX_FRAMES; i++)
		frames[i].region = -1;
	blk = name_lookup("virtio-blk", SERVER_TIMEOUT_US);
	if (!blk || blk_setbuf(blk, (uint64_t)io) || L4_TAG_LABEL(mr[0]) != MKVM_BLK_OK) {
		printf("persist: no virtio-blk disk\n");
		return -1;
	}
	uint64_t capacity = mr[1];
	if (mr[2] & MKVM_BLK_READONLY || capacity < MKVM_PERSIST_SECTOR + 8 * 8) {
		printf("persist: the disk is read-only or too small (%lu sectors)\n", capacity);
		return -1;
	}
	nblocks = (uint32_t)((capacity - MKVM_PERSIST_SECTOR) / 8 < MAX_BLOCKS ? (capacity - MKVM_PERSIST_SECTOR) / 8 : MAX_BLOCKS);
	if (store_mount() || blk_io(MKVM_BLK_FLUSH, 0, 0)) {
		printf("persist: cannot read the store\n");
		return -1;
	}
	pause_mid_sync = cmdline_has(prog_info->cmdline, "persist-pause");
	printf("persist: %u frames, %u blocks from sector %u, superblock %lu\n", nframes, nblocks,
	       MKVM_PERSIST_SECTOR, super.seq);
	return 0;
}

/* The stack's pages touched now, for the same reason as setup()'s. */
static void __attribute__((noinline)) stack_touch(void)
{
	volatile uint8_t deep[16384];
	for (unsigned i = 0; i < sizeof(deep); i += 4096)
		deep[i] = 0;
}

int main(void)
{
	uint64_t *mr = l4_utcb()->mr, from, space;
	stack_touch();
	if (setup())
		return 1;
	if (name_register(prog_info->name))
		return 1;
	int err = l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
	for (;;) {
		if (err) {
			err = l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
			continue;
		}
		prog_crash_if_asked(from);
		uint64_t label = L4_TAG_LABEL(mr[0]);
		if (label == MKVM_PERSIST_FAULT && space == L4_ROOT_TID)
			do_fault(mr);
		else if (label == MKVM_PERSIST_SYNC)
			do_sync(mr, space);
		else if (label == MKVM_PERSIST_STATS)
			do_stats(mr);
		else
			reply_error(mr, label == MKVM_PERSIST_FAULT ? MKVM_PERSIST_EPERM : MKVM_PERSIST_EINVAL);
		err = l4_ipc_space(from, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
	}
}
