/* virtio-blk on the PCI transport, and its declaration (device.h):
 * --disk, one device each. */
#include <stdlib.h>
#include <string.h>
#include <mkvm/testexit.h>
#include "cli.h"
#include "device.h"
#include "errmsg.h"
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

/* FILE[,readonly][,rate=SIZE][,ops=N]. */
static int parse_disk(struct config *cfg, const char *arg, char *err, size_t errlen)
{
	struct cli_disk *d = &cfg->disks[cfg->nr_disks];
	int len;

	if (cfg->nr_disks == CLI_MAX_DISKS)
		return errmsg(err, errlen, "--disk: at most %d disks", CLI_MAX_DISKS);
	*d = (struct cli_disk){ 0 };
	len = cli__strip_keys("disk", arg, true, &d->readonly, &d->limit, err, errlen);
	if (len < 0)
		return -1;
	if (len == 0)
		return errmsg(err, errlen, "--disk: no file name (FILE[,readonly][,rate=SIZE][,ops=N])");
	d->path = arg[len] ? strndup(arg, (size_t)len) : arg;
	if (!d->path)
		return errmsg(err, errlen, "--disk: out of memory");
	cfg->nr_disks++;
	return 0;
}

static int blk_setup(struct vm *vm, const struct config *cfg, int out_fd)
{
	(void)out_fd;
	for (int i = 0; i < cfg->nr_disks; i++)
		if (virtio_blk__init(vm, cfg->disks[i].path, cfg->disks[i].readonly,
				     &cfg->disks[i].limit))
			return MKVM_EXIT_IMAGE;
	return 0;
}

static const struct device_decl blk_decl = {
	.order = 10,
	.option = "disk",
	.has_arg = ARG_REQUIRED,
	.help = "virtio-blk on raw image FILE[,readonly][,LIMITS] (repeatable)",
	.parse = parse_disk,
	.init = blk_setup,
};
DEVICE_DECLARE(blk_decl);
