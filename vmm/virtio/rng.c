/* virtio-rng: entropy from the host kernel's getrandom(). */
#include <errno.h>
#include <sys/random.h>
#include "virtio/rng.h"

uint32_t virtio_rng__handle(void *opaque, const struct virtq_chain *c)
{
	const struct virtq_seg *s = &c->seg[c->n_rd];
	uint32_t done = 0;

	(void)opaque;
	for (unsigned i = 0; i < c->n_wr && done < VIRTIO_RNG_MAX_REQ; i++) {
		uint32_t want = s[i].len < VIRTIO_RNG_MAX_REQ - done ?
				s[i].len : VIRTIO_RNG_MAX_REQ - done;

		for (uint32_t off = 0; off < want;) {
			ssize_t r = getrandom(s[i].p + off, want - off, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return done;
			off += (uint32_t)r;
			done += (uint32_t)r;
		}
	}
	return done;
}
