/* virtio-rng on the PCI transport, and its declaration (device.h): --rng. */
#include <string.h>
#include <mkvm/testexit.h>
#include "cli.h"
#include "device.h"
#include "errmsg.h"
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

/* --rng or --rng=rate=SIZE[,ops=N] (keys in any order). */
static int parse_rng(struct config *cfg, const char *arg, char *err, size_t errlen)
{
	cfg->rng = true;
	if (!arg)
		return 0;
	for (const char *p = arg;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int r = cli__parse_limit_key("rng", p, n, &cfg->rng_limit, err, errlen);

		if (r < 0)
			return -1;
		if (!r)
			return errmsg(err, errlen, "--rng=%s: unknown option '%.*s' "
				      "(--rng[=rate=SIZE][,ops=N])", arg, (int)n, p);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int rng_setup(struct vm *vm, const struct config *cfg, int out_fd)
{
	(void)out_fd;
	return cfg->rng && virtio_rng__init(vm, &cfg->rng_limit) ? MKVM_EXIT_INTERNAL : 0;
}

static const struct device_decl rng_decl = {
	.order = 40,
	.option = "rng",
	.has_arg = ARG_OPTIONAL,
	.help = "virtio-rng fed by the host's getrandom(); --rng=LIMITS to limit it",
	.parse = parse_rng,
	.init = rng_setup,
};
DEVICE_DECLARE(rng_decl);
