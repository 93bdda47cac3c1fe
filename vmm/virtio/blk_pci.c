/* virtio-blk on the PCI transport: one device per --disk. */
#include <stdlib.h>
#include "virtio/blk.h"
#include "virtio/pci.h"

/* One --disk: the request logic, its transport, and the ops naming them. */
struct blk_pci {
	struct virtio_blk blk;
	struct virtio_pci vp;
	struct virtio_pci_ops ops;
};

static int blk_queue_notify(struct virtio_pci *vp, int q)
{
	struct blk_pci *d = vp->dev;

	return virtio_pci__drain(vp, q, virtio_blk__handle, &d->blk);
}

int virtio_blk__init(struct vm *vm, const char *path, bool readonly,
		     const struct rate_limit *lim)
{
	struct blk_pci *d = calloc(1, sizeof(*d));

	if (!d || virtio_blk__open(&d->blk, path, readonly)) {
		free(d);
		return -1;
	}
	d->ops = (struct virtio_pci_ops){
		.name = "virtio-blk",
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = 0x018000, /* mass storage, other */
		.num_queues = 1,
		.features = virtio_blk__features(&d->blk),
		.config = &d->blk.config,
		.config_len = sizeof(d->blk.config),
		.queue_notify = blk_queue_notify,
	};
	if (virtio_pci__init(&d->vp, &d->ops, d, vm, NULL)) {
		virtio_blk__close(&d->blk);
		free(d);
		return -1;
	}
	virtio_pci__limit(&d->vp, lim);
	return 0;
}
