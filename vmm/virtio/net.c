/* virtio-net frame paths between the virtqueues and a backend fd. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "virtio/net.h"

#define HDR sizeof(struct virtio_net_hdr)

_Static_assert(sizeof(struct virtio_net_hdr) == 12, "net header layout");
_Static_assert(sizeof(struct virtio_net_config) == 12, "net config layout");

uint64_t virtio_net__features(void)
{
	return (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS);
}

uint32_t virtio_net__tx(void *net, const struct virtq_chain *c)
{
	struct virtio_net *n = net;
	struct iovec iov[VIRTQ_DEV_SIZE_MAX];
	int k;

	if (c->rd_bytes < HDR || c->rd_bytes - HDR > VIRTIO_NET_FRAME_MAX ||
	    (k = virtq_chain__iov(c, false, HDR, c->rd_bytes - HDR, iov,
				  VIRTQ_DEV_SIZE_MAX)) < 0) {
		n->tx_dropped++;
		return 0;
	}
	while (writev(n->tx_fd, iov, k) < 0) {
		if (errno != EINTR) {
			n->tx_dropped++; /* backend full or gone */
			break;
		}
	}
	return 0;
}

/* Reads one frame without blocking: its length, 0 when none waits. */
static ssize_t next_frame(struct virtio_net *n)
{
	for (;;) {
		ssize_t r = read(n->rx_fd, n->frame, sizeof(n->frame));

		if (r >= 0 || errno != EINTR)
			return r < 0 ? 0 : r;
	}
}

int virtio_net__rx(struct virtio_net *n, struct virtq *vq,
		   struct virtq_chain *c, struct rate_limiter *rl)
{
	uint64_t now = rl ? ratelimit__now_ns() : 0;
	const struct virtio_net_hdr hdr = { .num_buffers = 1 };
	int used = 0, r = 0;

	/* Pop first: an empty ring then asks the driver for a kick. At most a
	 * queue's worth per call: the worker polls the backend again. */
	while (used < vq->size && (!rl || rate_limiter__ready(rl, now)) &&
	       (r = virtq__pop(vq, c)) == 1) {
		ssize_t len = next_frame(n);

		if (len == 0) {
			virtq__unpop(vq);
			break;
		}
		if (c->wr_bytes < HDR + (uint64_t)len) {
			n->rx_dropped++; /* the driver's buffer is too small */
			virtq__push(vq, c->head, 0);
		} else {
			virtq_chain__write(c, 0, &hdr, HDR);
			virtq_chain__write(c, HDR, n->frame, (size_t)len);
			virtq__push(vq, c->head, (uint32_t)(HDR + len));
		}
		if (rl)
			rate_limiter__charge(rl, (uint64_t)len);
		used++;
	}
	return r < 0 ? -1 : used;
}
