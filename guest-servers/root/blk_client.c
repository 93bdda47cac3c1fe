/* Clients of the virtio-blk driver server (shared/mkvm/blk.h). The two
 * protocol calls serve every client: the in-guest test (t_virtio.c, which
 * also sends malformed requests), the shell, and the root task's own uses
 * of the disk below: the durability run (durable.c) and the block
 * benchmark (bench_blk.c). */
#include <mkvm/blk.h>
#include "root.h"

int blk_request(uint64_t srv, uint64_t label, uint64_t sector, uint64_t count)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(label, label == MKVM_BLK_FLUSH ? 0 : 2, 0);
	mr[1] = sector;
	mr[2] = count;
	return l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
}

int blk_setbuf(uint64_t srv, uint64_t page)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(MKVM_BLK_SETBUF, 0, 2);
	mr[1] = page | L4_ITEM_MAP;
	mr[2] = L4_FPAGE(page, 12, L4_R | L4_W);
	return l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
}

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
