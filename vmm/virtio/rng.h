/* virtio-rng (spec 5.4): one queue; every writable byte offered is filled
 * from getrandom(). No configuration space, no feature bits. */
#ifndef MKVM_VIRTIO_RNG_H
#define MKVM_VIRTIO_RNG_H

#include <stdint.h>
#include "virtio/pci.h"
#include "virtio/virtqueue.h"

struct vm;

extern const struct virtio_pci_ops virtio_rng__ops;

/* Adds a virtio-rng device to the PCI bus. Prints why and returns -1 on
 * failure. */
int virtio_rng__init(struct vm *vm);

/* Fills the chain's writable part; returns the bytes written (fewer only if
 * getrandom() fails). Matches virtq_handler_fn; opaque is unused. */
uint32_t virtio_rng__handle(void *opaque, const struct virtq_chain *c);

#endif
