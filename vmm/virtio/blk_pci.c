/* virtio-blk on the PCI transport, and its declaration (device.h): its
 * settings, --disk and the libvirt <disk>, one device each. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mkvm/testexit.h>
#include "cli.h"
#include "config/domain.h"
#include "device.h"
#include "errmsg.h"
#include "virtio/blk.h"
#include "virtio/pci.h"
#include "vm.h"

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
	if (virtio_pci__init(&d->vp, &d->ops, &vm->pci, d, vm, NULL)) {
		virtio_blk__close(&d->blk);
		free(d);
		return -1;
	}
	virtio_pci__limit(&d->vp, lim);
	return 0;
}

static struct virtio_blk_settings settings;

static void blk_reset(void)
{
	for (int i = 0; i < VIRTIO_BLK_MAX_DISKS; i++)
		free(settings.disks[i].path);
	memset(&settings, 0, sizeof(settings));
}

/* FILE[,readonly][,rate=SIZE][,ops=N]. */
static int parse_disk(const char *arg, char *err, size_t errlen)
{
	struct virtio_blk_disk *d = &settings.disks[settings.nr];
	int len;

	if (settings.nr == VIRTIO_BLK_MAX_DISKS)
		return errmsg(err, errlen, "--disk: at most %d disks", VIRTIO_BLK_MAX_DISKS);
	*d = (struct virtio_blk_disk){ 0 };
	len = cli__strip_keys("disk", arg, true, &d->readonly, &d->limit, err, errlen);
	if (len < 0)
		return -1;
	if (len == 0)
		return errmsg(err, errlen, "--disk: no file name (FILE[,readonly][,rate=SIZE][,ops=N])");
	d->path = strndup(arg, (size_t)len);
	if (!d->path)
		return errmsg(err, errlen, "--disk: out of memory");
	settings.nr++;
	return 0;
}

/* The libvirt <disk> being read is settings.disks[settings.nr]. */
static struct virtio_blk_disk *xml_disk(void)
{
	return &settings.disks[settings.nr];
}

static int parse_disk_driver(struct domain_ctx *c, struct _xmlNode *n)
{
	if (domain__attr_in(c, n, "name", "qemu", true) ||
	    domain__attr_in(c, n, "type", "raw", false))
		return -1;
	return 0;
}

static int parse_disk_source(struct domain_ctx *c, struct _xmlNode *n)
{
	char *file = domain__attr(n, "file");

	if (!file)
		return domain__fail(c, n, "<source> of a disk needs file='...'");
	return domain__set_once(c, n, &xml_disk()->path, file);
}

static int parse_disk_readonly(struct domain_ctx *c, struct _xmlNode *n)
{
	(void)c, (void)n;
	xml_disk()->readonly = true;
	return 0;
}

/* <iotune>: the totals, which mkvm's limiter has (read and write together). */
static int parse_iotune_bytes(struct domain_ctx *c, struct _xmlNode *n)
{
	return domain__number(c, n, &xml_disk()->limit.bytes_per_s);
}

static int parse_iotune_iops(struct domain_ctx *c, struct _xmlNode *n)
{
	return domain__number(c, n, &xml_disk()->limit.ops_per_s);
}

static int parse_disk_iotune(struct domain_ctx *c, struct _xmlNode *n)
{
	static const struct domain_elem iotune[] = {
		{ "total_bytes_sec", DOMAIN_NO_ATTRS, parse_iotune_bytes },
		{ "total_iops_sec",  DOMAIN_NO_ATTRS, parse_iotune_iops },
	};
	return DOMAIN_CHILDREN(c, n, iotune);
}

static int parse_disk_target(struct domain_ctx *c, struct _xmlNode *n)
{
	return domain__attr_in(c, n, "bus", "virtio", false);
}

/* <disk type='file'> with a raw image on the virtio bus. */
static int parse_disk_elem(struct domain_ctx *c, struct _xmlNode *n)
{
	static const struct domain_elem disk[] = {
		{ "driver",   DOMAIN_ATTRS("name", "type"), parse_disk_driver },
		{ "source",   DOMAIN_ATTRS("file"), parse_disk_source },
		{ "target",   DOMAIN_ATTRS("dev", "bus"), parse_disk_target },
		{ "readonly", DOMAIN_NO_ATTRS, parse_disk_readonly },
		{ "iotune",   DOMAIN_NO_ATTRS, parse_disk_iotune },
		DOMAIN_ADDRESS,
	};

	if (settings.nr == VIRTIO_BLK_MAX_DISKS)
		return domain__fail(c, n, "more than %d disks", VIRTIO_BLK_MAX_DISKS);
	if (domain__attr_in(c, n, "type", "file", false) ||
	    domain__attr_in(c, n, "device", "disk", true) ||
	    domain__attr_in(c, n, "model", "virtio|virtio-non-transitional", true) ||
	    DOMAIN_CHILDREN(c, n, disk))
		return -1;
	if (!xml_disk()->path)
		return domain__fail(c, n, "<disk> needs <source file='...'/>");
	settings.nr++;
	return 0;
}

static const struct domain_elem blk_domain = {
	"disk", DOMAIN_ATTRS("type", "device", "model"), parse_disk_elem,
};

/* Each image opens as the device will open it. */
static int blk_validate(void)
{
	for (int i = 0; i < settings.nr; i++) {
		const struct virtio_blk_disk *d = &settings.disks[i];
		int fd = open(d->path, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "mkvm: --disk %s: %s\n", d->path, strerror(errno));
			return MKVM_EXIT_IMAGE;
		}
		close(fd);
	}
	return 0;
}

static int blk_setup(struct vm *vm, int out_fd)
{
	(void)out_fd;
	for (int i = 0; i < settings.nr; i++)
		if (virtio_blk__init(vm, settings.disks[i].path, settings.disks[i].readonly,
				     &settings.disks[i].limit))
			return MKVM_EXIT_IMAGE;
	return 0;
}

static const struct device_decl blk_decl = {
	.order = 10,
	.option = "disk",
	.has_arg = ARG_REQUIRED,
	.help = "virtio-blk on raw image FILE[,readonly][,LIMITS] (repeatable)",
	.settings = &settings,
	.reset = blk_reset,
	.parse = parse_disk,
	.domain = &blk_domain,
	.validate = blk_validate,
	.init = blk_setup,
};
DEVICE_DECLARE(blk_decl);
