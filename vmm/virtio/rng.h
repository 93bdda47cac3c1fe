/* virtio-rng (spec 5.4): one queue; the writable bytes offered are filled
 * from getrandom(), up to VIRTIO_RNG_MAX_REQ per request. No configuration space, no feature bits. */
#ifndef MKVM_VIRTIO_RNG_H
#define MKVM_VIRTIO_RNG_H

#include <stdbool.h>
#include <stdint.h>
#include "virtio/pci.h"
#include "virtio/virtqueue.h"

/* The most one request fills, however many bytes its chain offers (the
 * driver takes the used length as what it got; 5.4.6.1). */
#define VIRTIO_RNG_MAX_REQ (64u << 10)

struct vm;

/* What --rng and the libvirt <rng> ask for (the device's settings,
 * device.h; virtio/rng_pci.c owns them). */
struct virtio_rng_settings {
	bool on;
	struct rate_limit limit;     /* --rng=rate=SIZE,ops=N, <rate> */
};

extern const struct virtio_pci_ops virtio_rng__ops;

/* Adds a virtio-rng device to the PCI bus, its requests limited by lim.
 * Prints why and returns -1 on failure. */
int virtio_rng__init(struct vm *vm, const struct rate_limit *lim);

/* Fills the chain's writable part, at most VIRTIO_RNG_MAX_REQ bytes of it;
 * returns the bytes written (fewer only if getrandom() fails). Matches
 * virtq_handler_fn; opaque is unused. */
uint32_t virtio_rng__handle(void *opaque, const struct virtq_chain *c);

#endif
