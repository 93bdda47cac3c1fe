/* virtio-rng: entropy from the host kernel's getrandom(). */
#include <errno.h>
#include <sys/random.h>
#include "virtio/rng.h"

uint32_t virtio_rng__handle(void *opaque, const struct virtq_chain *c)
{
	const struct virtq_seg *s = &c->seg[c->n_rd];
	uint64_t done = 0;

	(void)opaque;
	for (unsigned i = 0; i < c->n_wr; i++) {
		for (uint32_t off = 0; off < s[i].len;) {
			ssize_t r = getrandom(s[i].p + off, s[i].len - off, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return (uint32_t)done;
			off += r;
			done += r;
		}
	}
	/* A chain never holds more than UINT32_MAX writable bytes that the
	 * driver could expect back in one used element; report what fits. */
	return done > UINT32_MAX ? UINT32_MAX : (uint32_t)done;
}
