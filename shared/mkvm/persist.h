/* The persistence pager (guest-servers/persist/persist.c): regions of
 * programs' spaces kept on the virtio-blk disk (docs/persist.md).
 *
 * A program whose boot.cfg line says persist=N (hex pages) has a region
 * of N pages at MKVM_PERSIST_BASE in its space. The root task, its pager,
 * hands every fault there to the persistence server and maps on what the
 * server maps to it (the region mapper); the server maps a frame of its
 * own, read from the disk or zeroed, read-only for a read and read-write
 * for a write, so that the first write to a clean page faults and marks it
 * dirty. The region belongs to the program's name: the next boot (or the
 * next instance) finds it at the same address with what the last SYNC
 * committed.
 *
 * Requests (calls to the thread serving the name "persist"):
 *   MKVM_PERSIST_FAULT  from the root task's space only: MR1 = the page's
 *                       offset in the region | access (L4_R/L4_W/L4_X),
 *                       MR2 = the faulting program's space, MR3 = the
 *                       region's pages, MR4..MR6 = the program's name.
 *                       Reply: a map item of one page (rights L4_R, or
 *                       L4_R | L4_W once the page is dirty), the caller's
 *                       acceptor decides where it lands.
 *   MKVM_PERSIST_SYNC   from a program with a region (its space, as the
 *                       last fault named it): every dirty page of its
 *                       region written to fresh blocks, the region's page
 *                       map too, a flush, then the next superblock and a
 *                       flush. Returns once the region as it is now
 *                       survives a crash; a crash before that leaves the
 *                       region as the previous SYNC left it.
 *   MKVM_PERSIST_STATS  from anyone: MR1 = pages faulted in from the disk,
 *                       MR2 = zero pages made, MR3 = dirty pages written
 *                       back on eviction, MR4 = evictions, MR5 = data
 *                       blocks written by syncs, MR6 = syncs, MR7 = the
 *                       frame budget.
 * Replies: MR0 label MKVM_PERSIST_OK, or MKVM_PERSIST_ERROR with MR1 =
 * MKVM_PERSIST_E*.
 *
 * On the disk, from sector MKVM_PERSIST_SECTOR on, 4 KiB blocks: blocks 0
 * and 1 are the two superblocks (their first sector: struct
 * mkvm_persist_super), used in turn; the rest hold page maps (one per
 * region: a 32-bit block number per page, 0 for a page never written) and
 * pages. A sync never writes a block the committed superblock reaches
 * (shadow paging). */
#ifndef MKVM_PERSIST_H
#define MKVM_PERSIST_H

#include <stdint.h>

#define MKVM_PERSIST_FAULT 0xc01
#define MKVM_PERSIST_SYNC  0xc02
#define MKVM_PERSIST_STATS 0xc03
#define MKVM_PERSIST_OK    0
#define MKVM_PERSIST_ERROR 0xc0f

#define MKVM_PERSIST_EINVAL 1   /* malformed request, or a page past the region */
#define MKVM_PERSIST_EPERM  2   /* not from the root task / no region of the caller's */
#define MKVM_PERSIST_ENOSPC 3   /* no free block on the disk, or too many regions */
#define MKVM_PERSIST_EIO    4   /* the block driver failed */

/* Where the region lies in a program's space, and its largest size (one
 * page map block). */
#define MKVM_PERSIST_BASE      0x8000000000ull
#define MKVM_PERSIST_MAX_PAGES 1024

#define MKVM_PERSIST_SECTOR  256        /* the store's first sector (sectors below: other uses) */
#define MKVM_PERSIST_MAGIC   0x31747372506d766bull  /* "kvmPrst1" */
#define MKVM_PERSIST_REGIONS 8

struct mkvm_persist_super {
	uint64_t magic;
	uint64_t seq;                   /* the newer valid superblock wins */
	struct {
		char name[24];          /* a program's name; empty: unused */
		uint32_t pages, map;    /* its size, the block of its page map */
	} region[MKVM_PERSIST_REGIONS];
	uint64_t sum;                   /* FNV-1a over everything above */
};

#endif
