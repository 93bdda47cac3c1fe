/* Device side of split virtqueues (virtio 1.1, 2.6). See virtqueue.h for
 * the invariants. Memory ordering follows 2.6.13 / 2.6.8: the avail idx is
 * read with acquire before the ring entries it covers, the used idx is
 * published with release after the used element, and a full fence separates
 * publishing from reading the driver's suppression fields. */
#include <string.h>
#include "virtio/virtqueue.h"

static uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static bool aligned(uint64_t gpa, uint64_t align)
{
	return (gpa & (align - 1)) == 0;
}

enum virtq_err virtq__enable(struct virtq *vq, const struct virtio_mem *mem,
			     uint16_t size, uint64_t desc, uint64_t avail,
			     uint64_t used, uint64_t features)
{
	virtq__disable(vq);
	if (size == 0 || size > VIRTQ_DEV_SIZE_MAX || (size & (size - 1)))
		return vq->err = VIRTQ_E_RING;
	if (!aligned(desc, 16) || !aligned(avail, 2) || !aligned(used, 4))
		return vq->err = VIRTQ_E_RING;
	vq->desc = virtio_mem__ptr(mem, desc, VIRTQ_DESC_BYTES(size));
	vq->avail = virtio_mem__ptr(mem, avail, VIRTQ_AVAIL_BYTES(size));
	vq->used = virtio_mem__ptr(mem, used, VIRTQ_USED_BYTES(size));
	if (!vq->desc || !vq->avail || !vq->used) {
		virtq__disable(vq);
		return vq->err = VIRTQ_E_RING;
	}
	vq->mem = mem;
	vq->size = size;
	vq->event_idx = features & (1ull << VIRTIO_F_EVENT_IDX);
	vq->indirect = features & (1ull << VIRTIO_F_INDIRECT_DESC);
	return VIRTQ_OK;
}

void virtq__disable(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

bool virtq__enabled(const struct virtq *vq)
{
	return vq->size != 0;
}

/* The event words sit right after each ring. */
static uint16_t *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *avail_event(struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

static enum virtq_err chain_add(struct virtq *vq, struct virtq_chain *c,
				const struct virtq_desc *d)
{
	bool wr = d->flags & VIRTQ_DESC_F_WRITE;

	if (d->len == 0)
		return VIRTQ_OK;
	if (!wr && c->n_wr)
		return VIRTQ_E_ORDER;
	/* c->seg cannot overflow: walk() takes at most vq->size <=
	 * VIRTQ_DEV_SIZE_MAX buffer descriptors, each at most one segment. */
	uint8_t *p = virtio_mem__ptr(vq->mem, d->addr, d->len);
	if (!p)
		return VIRTQ_E_ADDR;
	c->seg[c->n_rd + c->n_wr] = (struct virtq_seg){ p, d->len };
	if (wr) {
		c->n_wr++;
		c->wr_bytes += d->len;
	} else {
		c->n_rd++;
		c->rd_bytes += d->len;
	}
	return VIRTQ_OK;
}

/* Switches the walk to the indirect table `d` points to (2.6.5.3). */
static enum virtq_err enter_indirect(struct virtq *vq, const struct virtq_desc *d,
				     bool in_table, const struct virtq_desc **table,
				     uint32_t *n)
{
	if (!vq->indirect || in_table || (d->flags & VIRTQ_DESC_F_NEXT))
		return VIRTQ_E_INDIRECT;
	if (d->len == 0 || d->len % sizeof(struct virtq_desc))
		return VIRTQ_E_INDIRECT;
	*table = virtio_mem__ptr(vq->mem, d->addr, d->len);
	if (!*table)
		return VIRTQ_E_ADDR;
	*n = d->len / sizeof(struct virtq_desc);
	return VIRTQ_OK;
}

/* Walks the chain starting at `head`. At most vq->size buffer descriptors
 * are visited in all (main ring and indirect table together; the one that
 * points to the table does not count, as a driver fills a table of queue-size
 * entries), which bounds every loop the guest could build. */
static enum virtq_err walk(struct virtq *vq, uint16_t head,
			   struct virtq_chain *c)
{
	const struct virtq_desc *table = vq->desc;
	uint32_t n = vq->size, i = head;
	unsigned buffers = 0;
	bool in_table = false;
	enum virtq_err e;

	c->head = head;
	c->n_rd = c->n_wr = 0;
	c->rd_bytes = c->wr_bytes = 0;
	for (;;) {
		struct virtq_desc d;

		memcpy(&d, &table[i], sizeof(d)); /* one fetch per descriptor */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* Only once per chain: never inside a table. */
			e = enter_indirect(vq, &d, in_table, &table, &n);
			if (e)
				return e;
			in_table = true;
			i = 0;
			continue;
		}
		if (++buffers > vq->size)
			return VIRTQ_E_CHAIN_LEN;
		e = chain_add(vq, c, &d);
		if (e)
			return e;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_OK;
		if (d.next >= n)
			return VIRTQ_E_NEXT;
		i = d.next;
	}
}

static int fail(struct virtq *vq, enum virtq_err e)
{
	vq->err = e;
	return -1;
}

int virtq__pop(struct virtq *vq, struct virtq_chain *c)
{
	if (vq->err)
		return -1;
	if (!virtq__enabled(vq))
		return 0;

	uint16_t avail_idx = load16(&vq->avail->idx);
	if (avail_idx == vq->last_avail && vq->event_idx) {
		/* Ask for a kick at the next entry, then look again: the
		 * driver may have added one before it saw our request. */
		store16(avail_event(vq), vq->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = load16(&vq->avail->idx);
	}
	uint16_t pending = avail_idx - vq->last_avail;
	if (pending == 0)
		return 0;
	if (pending > vq->size)
		return fail(vq, VIRTQ_E_AVAIL_IDX);

	uint16_t head = load16(&vq->avail->ring[vq->last_avail % vq->size]);
	if (head >= vq->size)
		return fail(vq, VIRTQ_E_HEAD);
	enum virtq_err e = walk(vq, head, c);
	if (e)
		return fail(vq, e);
	vq->last_avail++;
	return 1;
}

void virtq__unpop(struct virtq *vq)
{
	vq->last_avail--;
}

bool virtq__pending(struct virtq *vq)
{
	return virtq__enabled(vq) && !vq->err &&
	       load16(&vq->avail->idx) != vq->last_avail;
}

void virtq__push(struct virtq *vq, uint16_t head, uint32_t len)
{
	struct virtq_used_elem *el = &vq->used->ring[vq->used_idx % vq->size];

	el->id = head;
	el->len = len;
	store16(&vq->used->idx, ++vq->used_idx);
}

int virtq__drain(struct virtq *vq, struct virtq_chain *c, virtq_handler_fn fn,
		 void *opaque, struct rate_limiter *rl)
{
	uint64_t bytes = 0, now = rl ? ratelimit__now_ns() : 0;
	int n = 0, r = 0;

	while (n < vq->size && bytes < VIRTQ_DRAIN_BYTES &&
	       (!rl || rate_limiter__ready(rl, now)) &&
	       (r = virtq__pop(vq, c)) == 1) {
		uint32_t len = fn(opaque, c);

		virtq__push(vq, c->head, len);
		bytes += c->rd_bytes + c->wr_bytes;
		if (rl)
			rate_limiter__charge(rl, c->rd_bytes + len);
		n++;
	}
	return r < 0 ? -1 : n;
}

bool virtq__should_notify(struct virtq *vq)
{
	/* Nothing used since the last interrupt: nothing to say. */
	if (!virtq__enabled(vq) || vq->used_idx == vq->signalled_used)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = vq->signalled_used;
	vq->signalled_used = vq->used_idx;
	if (vq->event_idx)
		return virtq_need_event(load16(used_event(vq)), vq->used_idx, old);
	return !(load16(&vq->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

const char *virtq__strerror(enum virtq_err err)
{
	static const char *const msg[] = {
		[VIRTQ_OK] = "no error",
		[VIRTQ_E_RING] = "queue size or ring address invalid",
		[VIRTQ_E_AVAIL_IDX] = "available index more than a queue ahead",
		[VIRTQ_E_HEAD] = "chain head out of range",
		[VIRTQ_E_NEXT] = "next descriptor index out of range",
		[VIRTQ_E_ADDR] = "buffer outside guest memory",
		[VIRTQ_E_CHAIN_LEN] = "descriptor chain loops or exceeds the queue size",
		[VIRTQ_E_INDIRECT] = "invalid indirect descriptor",
		[VIRTQ_E_ORDER] = "device-readable buffer after a writable one",
	};
	if ((unsigned)err >= sizeof(msg) / sizeof(msg[0]))
		return "unknown virtqueue error";
	return msg[err];
}

/* The segments of one part of the chain. */
static const struct virtq_seg *part(const struct virtq_chain *c, bool wr,
				    unsigned *n)
{
	*n = wr ? c->n_wr : c->n_rd;
	return wr ? &c->seg[c->n_rd] : c->seg;
}

static size_t copy(const struct virtq_chain *c, bool wr, uint64_t off,
		   uint8_t *buf, size_t len)
{
	unsigned n;
	const struct virtq_seg *s = part(c, wr, &n);
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		if (off >= s[i].len) {
			off -= s[i].len;
			continue;
		}
		size_t k = s[i].len - off;
		if (k > len - done)
			k = len - done;
		if (wr)
			memcpy(s[i].p + off, buf + done, k);
		else
			memcpy(buf + done, s[i].p + off, k);
		done += k;
		off = 0;
	}
	return done;
}

size_t virtq_chain__read(const struct virtq_chain *c, uint64_t off,
			 void *buf, size_t len)
{
	return copy(c, false, off, buf, len);
}

size_t virtq_chain__write(const struct virtq_chain *c, uint64_t off,
			  const void *buf, size_t len)
{
	return copy(c, true, off, (uint8_t *)buf, len);
}

int virtq_chain__iov(const struct virtq_chain *c, bool writable, uint64_t off,
		     uint64_t len, struct iovec *iov, int max)
{
	unsigned n;
	const struct virtq_seg *s = part(c, writable, &n);
	int k = 0;

	for (unsigned i = 0; i < n && len; i++) {
		if (off >= s[i].len) {
			off -= s[i].len;
			continue;
		}
		uint64_t take = s[i].len - off;
		if (take > len)
			take = len;
		if (k == max)
			return -1;
		iov[k++] = (struct iovec){ s[i].p + off, take };
		len -= take;
		off = 0;
	}
	return len ? -1 : k;
}
