/* A fake guest for the virtio unit tests: 256 KiB of "RAM" at guest
 * physical FX_RAM, with a split queue laid out at fixed addresses and
 * helpers to build descriptor chains the way a driver would. */
#ifndef MKVM_TEST_VIRTIO_FIXTURE_H
#define MKVM_TEST_VIRTIO_FIXTURE_H

#include <stdlib.h>
#include <string.h>
#include "virtio/virtqueue.h"

#define FX_RAM      0x100000ull
#define FX_RAM_SIZE 0x40000ull
#define FX_DESC     (FX_RAM + 0x0000)
#define FX_AVAIL    (FX_RAM + 0x1000)
#define FX_USED     (FX_RAM + 0x2000)
#define FX_INDIRECT (FX_RAM + 0x3000)
#define FX_BUF      (FX_RAM + 0x10000)

#define FX_FEATURES ((1ull << VIRTIO_F_VERSION_1) | \
		     (1ull << VIRTIO_F_EVENT_IDX) | \
		     (1ull << VIRTIO_F_INDIRECT_DESC))

struct fx {
	uint8_t *ram;
	struct virtio_mem mem;
	struct virtq vq;
	uint16_t size;
	struct virtq_chain chain;
};

static inline void *fx_ptr(struct fx *f, uint64_t gpa)
{
	return f->ram + (gpa - FX_RAM);
}

static inline struct virtq_desc *fx_desc(struct fx *f, unsigned i)
{
	return (struct virtq_desc *)fx_ptr(f, FX_DESC) + i;
}

static inline struct virtq_avail *fx_avail(struct fx *f)
{
	return fx_ptr(f, FX_AVAIL);
}

static inline struct virtq_used *fx_used(struct fx *f)
{
	return fx_ptr(f, FX_USED);
}

/* Sets up RAM and enables a queue of `size` entries; returns the result. */
static inline enum virtq_err fx_init(struct fx *f, uint16_t size,
				     uint64_t features)
{
	memset(f, 0, sizeof(*f));
	f->ram = calloc(1, FX_RAM_SIZE);
	f->size = size;
	virtio_mem__add(&f->mem, FX_RAM, FX_RAM_SIZE, f->ram);
	return virtq__enable(&f->vq, &f->mem, size, FX_DESC, FX_AVAIL, FX_USED,
			     features);
}

static inline void fx_fini(struct fx *f)
{
	free(f->ram);
}

static inline void fx_set(struct virtq_desc *d, uint64_t addr, uint32_t len,
			  uint16_t flags, uint16_t next)
{
	*d = (struct virtq_desc){ addr, len, flags, next };
}

/* Makes chain `head` available, as a driver does. */
static inline void fx_offer(struct fx *f, uint16_t head)
{
	struct virtq_avail *a = fx_avail(f);

	a->ring[a->idx % f->size] = head;
	a->idx++;
}

#endif
