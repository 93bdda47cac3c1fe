/* virtio-rng on the PCI transport. */
#include "virtio/pci.h"
#include "virtio/rng.h"

static int rng_queue_notify(struct virtio_pci *vp, int q)
{
	return virtio_pci__drain(vp, q, virtio_rng__handle, NULL);
}

const struct virtio_pci_ops virtio_rng__ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.class_code = 0xff0000, /* unclassified device */
	.num_queues = 1,
	.queue_notify = rng_queue_notify,
};

int virtio_rng__init(struct vm *vm, const struct rate_limit *lim)
{
	static struct virtio_pci vp;

	if (virtio_pci__init(&vp, &virtio_rng__ops, NULL, vm, NULL))
		return -1;
	virtio_pci__limit(&vp, lim);
	return 0;
}
