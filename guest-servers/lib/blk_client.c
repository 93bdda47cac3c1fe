/* The calls of the virtio-blk driver server's protocol (shared/mkvm/blk.h),
 * for every client: the in-guest tests, the shell, the root task's own
 * disk uses. */
#include <mkvm/blk.h>
#include "blk_client.h"
#include "prog.h"

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
