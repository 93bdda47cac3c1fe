/* Checked guest-physical to host translation for the virtio devices. */
#include <stddef.h>
#include "virtio/mem.h"

int virtio_mem__add(struct virtio_mem *m, uint64_t gpa, uint64_t size,
		    void *hva)
{
	if (m->n == VIRTIO_MEM_REGIONS)
		return -1;
	m->r[m->n++] = (struct virtio_mem_region){ gpa, size, hva };
	return 0;
}

void *virtio_mem__ptr(const struct virtio_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct virtio_mem_region *r = &m->r[i];

		/* Written so that nothing can overflow: gpa >= r->gpa first,
		 * then offset and length compared against the size. */
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off > r->size || len > r->size - off)
			continue;
		return r->hva + off;
	}
	return NULL;
}
