/* virtio-rng on the PCI transport, and its declaration (device.h): its
 * settings, --rng and the libvirt <rng>. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <mkvm/testexit.h>
#include "cli.h"
#include "config/domain.h"
#include "device.h"
#include "errmsg.h"
#include "virtio/pci.h"
#include "virtio/rng.h"
#include "vm.h"

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
	struct virtio_pci *vp = calloc(1, sizeof(*vp));

	if (!vp || virtio_pci__init(vp, &virtio_rng__ops, &vm->pci, NULL, vm, NULL)) {
		free(vp);
		return -1;
	}
	virtio_pci__limit(vp, lim);
	return 0;
}

static struct virtio_rng_settings settings;

static void rng_reset(void)
{
	memset(&settings, 0, sizeof(settings));
}

/* --rng or --rng=rate=SIZE[,ops=N] (keys in any order). */
static int parse_rng(const char *arg, char *err, size_t errlen)
{
	settings.on = true;
	if (!arg)
		return 0;
	for (const char *p = arg;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int r = cli__parse_limit_key("rng", p, n, &settings.limit, err, errlen);

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

static int parse_rng_backend(struct domain_ctx *c, struct _xmlNode *n)
{
	char *t = domain__text(n);
	int rc = 0;

	if (domain__attr_in(c, n, "model", "random", false))
		rc = -1;
	else if (t && *t && strcmp(t, "/dev/urandom") && strcmp(t, "/dev/random"))
		rc = domain__fail(c, n, "rng backend '%s' is not supported by mkvm (it uses "
				  "getrandom(), like /dev/urandom)", t);
	free(t);
	return rc;
}

/* <rate bytes='N' period='MS'/>: N bytes per period (1000 ms if absent). */
static int parse_rng_rate(struct domain_ctx *c, struct _xmlNode *n)
{
	char *b = domain__attr(n, "bytes"), *p = domain__attr(n, "period"), *end;
	uint64_t bytes = 0, period = 1000;
	int rc = 0;

	errno = 0;
	if (b && *b >= '0' && *b <= '9')
		bytes = strtoull(b, &end, 10);
	if (!b || *b < '0' || *b > '9' || errno || *end || !bytes)
		rc = domain__fail(c, n, "<rate> needs bytes='N', a number above 0");
	if (!rc && p) {
		period = *p >= '0' && *p <= '9' ? strtoull(p, &end, 10) : 0;
		if (errno || *end || !period)
			rc = domain__fail(c, n, "<rate period='%s'> must be milliseconds above 0", p);
	}
	if (!rc && bytes > UINT64_MAX / 1000)
		rc = domain__fail(c, n, "<rate bytes='%s'> is too large", b);
	if (!rc)
		settings.limit.bytes_per_s = bytes * 1000 / period ? bytes * 1000 / period : 1;
	free(b);
	free(p);
	return rc;
}

static int parse_rng_elem(struct domain_ctx *c, struct _xmlNode *n)
{
	static const struct domain_elem rng[] = {
		{ "backend", DOMAIN_ATTRS("model"), parse_rng_backend },
		{ "rate",    DOMAIN_ATTRS("bytes", "period"), parse_rng_rate },
		DOMAIN_ADDRESS,
	};
	if (domain__attr_in(c, n, "model", "virtio|virtio-non-transitional", false) ||
	    DOMAIN_CHILDREN(c, n, rng))
		return -1;
	settings.on = true;
	return 0;
}

static const struct domain_elem rng_domain = {
	"rng", DOMAIN_ATTRS("model"), parse_rng_elem,
};

static int rng_setup(struct vm *vm, int out_fd)
{
	(void)out_fd;
	return settings.on && virtio_rng__init(vm, &settings.limit) ? MKVM_EXIT_INTERNAL : 0;
}

static const struct device_decl rng_decl = {
	.order = 40,
	.option = "rng",
	.has_arg = ARG_OPTIONAL,
	.help = "virtio-rng fed by the host's getrandom(); --rng=LIMITS to limit it",
	.settings = &settings,
	.reset = rng_reset,
	.parse = parse_rng,
	.domain = &rng_domain,
	.init = rng_setup,
};
DEVICE_DECLARE(rng_decl);
