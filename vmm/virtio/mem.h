/* Guest physical memory as the virtio devices see it: a few RAM regions
 * mapped into mkvm, and one checked translation. Every address a device
 * takes from the guest goes through virtio_mem__ptr(). */
#ifndef MKVM_VIRTIO_MEM_H
#define MKVM_VIRTIO_MEM_H

#include <stdint.h>

#define VIRTIO_MEM_REGIONS 4

struct virtio_mem_region {
	uint64_t gpa;  /* guest physical start */
	uint64_t size; /* bytes */
	uint8_t *hva;  /* where mkvm mapped it */
};

struct virtio_mem {
	unsigned n;
	struct virtio_mem_region r[VIRTIO_MEM_REGIONS];
};

/* Returns 0, or -1 when all VIRTIO_MEM_REGIONS are taken. */
int virtio_mem__add(struct virtio_mem *m, uint64_t gpa, uint64_t size,
		    void *hva);

/* The host address of guest range [gpa, gpa + len), or NULL unless the
 * whole range lies inside one region. len 0 is valid anywhere inside or at
 * the end of a region. Overflowing ranges are rejected. */
void *virtio_mem__ptr(const struct virtio_mem *m, uint64_t gpa, uint64_t len);

#endif
