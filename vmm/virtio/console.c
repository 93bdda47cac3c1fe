/* virtio-console data paths: guest output to a host fd, host input through
 * a FIFO into the guest's receive buffers. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "virtio/console.h"

_Static_assert(sizeof(struct virtio_console_config) == 12, "console config layout");

void virtio_console__setup(struct virtio_console *c, int out_fd)
{
	memset(c, 0, sizeof(*c));
	c->out_fd = out_fd;
	c->config.max_nr_ports = 1;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return; /* output lost: the guest must not stall on it */
		p += r;
		n -= (size_t)r;
	}
}

uint32_t virtio_console__tx(void *con, const struct virtq_chain *c)
{
	struct virtio_console *vc = con;
	uint32_t left = VIRTIO_CONSOLE_TX_MAX;

	for (unsigned i = 0; i < c->n_rd && left; i++) {
		uint32_t n = c->seg[i].len < left ? c->seg[i].len : left;

		write_all(vc->out_fd, c->seg[i].p, n);
		left -= n;
	}
	return 0;
}

size_t virtio_console__fifo_room(const struct virtio_console *c)
{
	return VIRTIO_CONSOLE_FIFO - c->len;
}

size_t virtio_console__fifo_put(struct virtio_console *c, const uint8_t *buf,
				size_t n)
{
	size_t room = virtio_console__fifo_room(c);

	if (n > room)
		n = room;
	for (size_t i = 0; i < n; i++)
		c->fifo[(c->head + c->len + i) % VIRTIO_CONSOLE_FIFO] = buf[i];
	c->len += n;
	return n;
}

int virtio_console__rx(struct virtio_console *c, struct virtq *vq,
		       struct virtq_chain *chain)
{
	int used = 0, r;

	while (c->len && (r = virtq__pop(vq, chain)) != 0) {
		if (r < 0)
			return -1;
		uint64_t n = c->len < chain->wr_bytes ? c->len : chain->wr_bytes;
		for (uint64_t done = 0; done < n;) {
			/* The FIFO's contiguous part starting at head. */
			size_t k = VIRTIO_CONSOLE_FIFO - c->head;
			if (k > n - done)
				k = n - done;
			virtq_chain__write(chain, done, c->fifo + c->head, k);
			c->head = (c->head + k) % VIRTIO_CONSOLE_FIFO;
			c->len -= k;
			done += k;
		}
		virtq__push(vq, chain->head, (uint32_t)n);
		used++;
	}
	return used;
}
