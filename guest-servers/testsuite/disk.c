/* The test suite's own virtio-blk client (shared/mkvm/blk.h, through the
 * protocol calls of lib/clients.c): the durability run (durable.c) and
 * the block benchmark (bench_blk.c). */
#include <mkvm/blk.h>
#include "suite.h"

static uint8_t page[4096] __attribute__((aligned(4096)));
static uint64_t srv;

/* One request: 0, or -1 after printing why it failed. */
static int blk_call(uint64_t label, uint64_t sector, uint64_t count)
{
	uint64_t *mr = l4_utcb()->mr;
	int err = blk_request(srv, label, sector, count);
	if (err || L4_TAG_LABEL(mr[0]) != MKVM_BLK_OK) {
		printf("blk: request %lx (sector %lu, %lu sectors): IPC error %lx, label %lx, code %lu\n",
		       label, sector, count, (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
		return -1;
	}
	return 0;
}

uint8_t *blk_open(uint64_t *capacity)
{
	uint64_t *mr = l4_utcb()->mr;
	threads_init();
	srv = name_lookup("virtio-blk", SERVER_TIMEOUT_US);
	if (!srv) {
		printf("blk: cannot start the virtio-blk server\n");
		return NULL;
	}
	memset(page, 0, sizeof(page));  /* only a page we have can be mapped on */
	int err = blk_setbuf(srv, (uint64_t)page);
	if (err || L4_TAG_LABEL(mr[0]) != MKVM_BLK_OK) {
		printf("blk: setbuf: IPC error %lx, label %lx, code %lu (no virtio-blk disk?)\n",
		       (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
		return NULL;
	}
	if (mr[2] & MKVM_BLK_READONLY) {
		printf("blk: the disk is read-only\n");
		return NULL;
	}
	*capacity = mr[1];
	return page;
}

int blk_read(uint64_t sector, uint64_t count)
{
	return blk_call(MKVM_BLK_READ, sector, count);
}

int blk_write(uint64_t sector, uint64_t count)
{
	return blk_call(MKVM_BLK_WRITE, sector, count);
}

int blk_flush(void)
{
	return blk_call(MKVM_BLK_FLUSH, 0, 0);
}
