/* The client stubs of the driver protocols (clients.h). */
#include <mkvm/blk.h>
#include <mkvm/console.h>
#include <mkvm/net.h>
#include <mkvm/rng.h>
#include "clients.h"
#include "prog.h"

/* A call with MR0..MR2 set; the receive phase waits wait_us longer
 * (L4_NEVER: for ever). */
static int call(uint64_t srv, uint64_t tag, uint64_t w1, uint64_t w2, uint64_t wait_us)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = tag;
	mr[1] = w1;
	mr[2] = w2;
	uint64_t rcv = wait_us >= L4_NEVER - SERVER_TIMEOUT_US ? L4_NEVER : SERVER_TIMEOUT_US + wait_us;
	return l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, rcv), NULL);
}

/* A call carrying a map item of one read-write page. The page is written
 * first: a data page still shared copy-on-write is read-only here, and the
 * server would get it read-only too (shared/mkvm/root.h). */
static int setbuf(uint64_t srv, uint64_t label, uint64_t page)
{
	*(volatile uint8_t *)page = *(volatile uint8_t *)page;
	return call(srv, L4_TAG(label, 0, 2), page | L4_ITEM_MAP, L4_FPAGE(page, 12, L4_R | L4_W), 0);
}

int blk_request(uint64_t srv, uint64_t label, uint64_t sector, uint64_t count)
{
	return call(srv, L4_TAG(label, label == MKVM_BLK_FLUSH ? 0 : 2, 0), sector, count, 0);
}

int blk_setbuf(uint64_t srv, uint64_t page)
{
	return setbuf(srv, MKVM_BLK_SETBUF, page);
}

int net_setbuf(uint64_t srv, uint64_t page)
{
	return setbuf(srv, MKVM_NET_SETBUF, page);
}

int net_request(uint64_t srv, uint64_t label, uint64_t w1)
{
	return call(srv, L4_TAG(label, label == MKVM_NET_MAC ? 0 : 1, 0), w1, 0,
		    label == MKVM_NET_RECV ? w1 : 0);
}

int rng_read(uint64_t srv, uint64_t n)
{
	return call(srv, L4_TAG(MKVM_RNG_READ, 1, 0), n, 0, 0);
}

int console_write(uint64_t srv, const void *bytes, uint64_t n)
{
	uint64_t *mr = l4_utcb()->mr;
	if (n > MKVM_CONSOLE_MAX)
		n = MKVM_CONSOLE_MAX;
	memcpy(&mr[2], bytes, n);
	return call(srv, L4_TAG(MKVM_CONSOLE_WRITE, 1 + (n + 7) / 8, 0), n, mr[2], 0);
}

int console_read(uint64_t srv, uint64_t n, uint64_t wait_us)
{
	return call(srv, L4_TAG(MKVM_CONSOLE_READ, 2, 0), n, wait_us,
		    wait_us == MKVM_CONSOLE_FOREVER ? L4_NEVER : wait_us);
}
