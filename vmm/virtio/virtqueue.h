/* The device side of a virtio 1.x split virtqueue (spec 2.6), over guest
 * memory the guest may change at any moment.
 *
 * Invariants: after virtq__enable() succeeds, the three ring areas lie inside
 * guest RAM and are aligned, so the host pointers to them stay valid while
 * the memory map does; every descriptor is copied once before it is checked
 * and used; every index the guest supplies is checked before it is used. A
 * malformed ring makes virtq__pop() fail and the queue stays broken until
 * virtq__enable() again: the device then reports DEVICE_NEEDS_RESET.
 *
 * A queue is used by one thread at a time (the device's worker); the caller
 * serialises enable/disable against it.
 */
#ifndef MKVM_VIRTQUEUE_H
#define MKVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <mkvm/virtio.h>
#include "ratelimit.h"
#include "virtio/mem.h"

/* The largest queue mkvm's devices offer; a chain never has more segments
 * than the queue has entries (2.6.5.3.1), so a chain fits in a fixed array. */
#define VIRTQ_DEV_SIZE_MAX 256

enum virtq_err {
	VIRTQ_OK = 0,
	VIRTQ_E_RING,       /* ring areas misplaced, misaligned or bad size */
	VIRTQ_E_AVAIL_IDX,  /* avail idx ran more than a queue ahead */
	VIRTQ_E_HEAD,       /* head index out of range */
	VIRTQ_E_NEXT,       /* next index out of range */
	VIRTQ_E_ADDR,       /* buffer outside guest RAM or wrapping */
	VIRTQ_E_CHAIN_LEN,  /* longer than the queue: a loop, or too long */
	VIRTQ_E_INDIRECT,   /* indirect: not negotiated, nested, NEXT, bad len */
	VIRTQ_E_ORDER,      /* readable buffer after a writable one */
};

struct virtq_seg {
	uint8_t *p;   /* host address inside guest RAM */
	uint32_t len; /* never 0 */
};

/* One descriptor chain: readable segments first, then writable ones. */
struct virtq_chain {
	uint16_t head;
	unsigned n_rd, n_wr;
	uint64_t rd_bytes, wr_bytes;
	struct virtq_seg seg[VIRTQ_DEV_SIZE_MAX]; /* n_rd + n_wr used */
};

struct virtq {
	const struct virtio_mem *mem;
	uint16_t size;
	bool event_idx, indirect;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail;     /* next avail ring entry to take */
	uint16_t used_idx;       /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last interrupt */
	enum virtq_err err;      /* first error; the queue is dead while set */
};

/* Checks and maps a queue the driver set up: `size` a power of two no larger
 * than VIRTQ_DEV_SIZE_MAX, areas aligned and inside RAM. `features` are the
 * negotiated ones (VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC matter).
 * Returns VIRTQ_OK or VIRTQ_E_RING. */
enum virtq_err virtq__enable(struct virtq *vq, const struct virtio_mem *mem,
			     uint16_t size, uint64_t desc, uint64_t avail,
			     uint64_t used, uint64_t features);

/* Back to the state after a device reset: no rings, no error. */
void virtq__disable(struct virtq *vq);

bool virtq__enabled(const struct virtq *vq);

/* Takes the next available chain into *c. Returns 1 with a chain, 0 when
 * the ring is empty (and, with EVENT_IDX, asks to be notified of the next
 * one), or -1 when the ring is malformed (vq->err says why). */
int virtq__pop(struct virtq *vq, struct virtq_chain *c);

/* Gives back the chain the last virtq__pop() returned, not yet pushed: the
 * next pop takes (and checks) that ring entry again. For a device that
 * found it had nothing to put in the chain after all. */
void virtq__unpop(struct virtq *vq);

/* Whether the driver has made chains available that were not popped yet.
 * Unlike virtq__pop() this asks for no notification. */
bool virtq__pending(struct virtq *vq);

/* Returns chain `head` to the driver with `len` bytes written. */
void virtq__push(struct virtq *vq, uint16_t head, uint32_t len);

/* After pushes: whether the driver wants an interrupt now. Never without a
 * push since the last time it said yes; then honours
 * VIRTQ_AVAIL_F_NO_INTERRUPT or, with EVENT_IDX, used_event. */
bool virtq__should_notify(struct virtq *vq);

const char *virtq__strerror(enum virtq_err err);

/* Handles one chain for virtq__drain() and returns the number of bytes it
 * wrote into the chain's writable part. */
typedef uint32_t (*virtq_handler_fn)(void *opaque, const struct virtq_chain *c);

/* The most bytes of chains (readable plus writable) one virtq__drain()
 * takes: a chain may alias one large buffer many times, and a guest may
 * refill the ring as fast as the device empties it. */
#define VIRTQ_DRAIN_BYTES (1u << 20)

/* Pops available chains into *c, hands each to fn and pushes it back,
 * until the ring is empty, a queue's worth of chains was handled, the
 * chains handled carried VIRTQ_DRAIN_BYTES or more, or the rate limiter rl
 * (optional) ran dry; what is left is virtq__pending() and waits for the
 * next call. Each chain is charged to rl as one operation of its readable
 * bytes plus the bytes fn wrote. Returns the number of chains handled, or
 * -1 when the ring is malformed (chains handled before that are pushed). */
int virtq__drain(struct virtq *vq, struct virtq_chain *c, virtq_handler_fn fn,
		 void *opaque, struct rate_limiter *rl);

/* Copy from the readable / into the writable bytes of a chain, starting at
 * byte `off` of that part. Return the number of bytes copied (short at the
 * end of the part). */
size_t virtq_chain__read(const struct virtq_chain *c, uint64_t off,
			 void *buf, size_t len);
size_t virtq_chain__write(const struct virtq_chain *c, uint64_t off,
			  const void *buf, size_t len);

/* Describes bytes [off, off + len) of the readable (writable == false) or
 * writable part as at most `max` iovecs. Returns their number, or -1 when
 * the range is not inside the part or needs more than `max`. */
int virtq_chain__iov(const struct virtq_chain *c, bool writable, uint64_t off,
		     uint64_t len, struct iovec *iov, int max);

#endif
