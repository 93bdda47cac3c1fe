/* virtio-net on the PCI transport, and its declaration (device.h): its
 * settings, --net and the libvirt <interface>, one device each. The
 * worker polls the backend only while the guest has receive buffers
 * available and the rate limiter (if any) has tokens, so a frame with
 * nowhere to go waits in the backend instead of spinning. */
#include <stdlib.h>
#include <string.h>
#include <mkvm/testexit.h>
#include "cli.h"
#include "config/domain.h"
#include "device.h"
#include "errmsg.h"
#include "virtio/net.h"
#include "virtio/pci.h"
#include "vm.h"

struct net_pci {
	struct virtio_net net;
	struct virtio_pci vp;
	struct virtio_pci_ops ops;
};

static int receive(struct virtio_pci *vp)
{
	struct net_pci *d = vp->dev;
	int n = virtio_net__rx(&d->net, &vp->q[VIRTIO_NET_RX].vq, &vp->chain,
			       virtio_pci__limiter(vp));

	if (n > 0)
		virtio_pci__queue_interrupt(vp, VIRTIO_NET_RX);
	virtio_pci__throttled(vp); /* arms the timer that comes back */
	return n;
}

static int net_queue_notify(struct virtio_pci *vp, int q)
{
	struct net_pci *d = vp->dev;

	if (q == VIRTIO_NET_TX)
		return virtio_pci__drain(vp, q, virtio_net__tx, &d->net);
	return receive(vp);
}

static int net_poll_fd(struct virtio_pci *vp)
{
	struct net_pci *d = vp->dev;

	return virtq__pending(&vp->q[VIRTIO_NET_RX].vq) && !virtio_pci__throttled(vp) ?
	       d->net.rx_fd : -1;
}

static int net_poll_ready(struct virtio_pci *vp)
{
	return receive(vp);
}

int virtio_net__init(struct vm *vm, const char *spec, const struct rate_limit *lim)
{
	struct net_pci *d = calloc(1, sizeof(*d));

	if (!d || virtio_net__open(&d->net, spec)) {
		free(d);
		return -1;
	}
	d->ops = (struct virtio_pci_ops){
		.name = "virtio-net",
		.device_id = VIRTIO_ID_NET,
		.class_code = 0x020000, /* Ethernet controller */
		.num_queues = 2,
		.features = virtio_net__features(),
		.config = &d->net.config,
		.config_len = sizeof(d->net.config),
		.queue_notify = net_queue_notify,
		.poll_fd = net_poll_fd,
		.poll_ready = net_poll_ready,
	};
	if (virtio_pci__init(&d->vp, &d->ops, &vm->pci, d, vm, NULL)) {
		virtio_net__close(&d->net);
		free(d);
		return -1;
	}
	virtio_pci__limit(&d->vp, lim);
	return 0;
}

static struct virtio_net_settings settings;

static void net_reset(void)
{
	for (int i = 0; i < VIRTIO_NET_MAX_IFACES; i++)
		free(settings.ifaces[i].spec);
	memset(&settings, 0, sizeof(settings));
}

/* tap=NAME or user-loopback, then [,rate=SIZE][,ops=N]; the device checks
 * NAME when it opens it. */
static int parse_net(const char *arg, char *err, size_t errlen)
{
	struct virtio_net_iface *n = &settings.ifaces[settings.nr];
	int len;

	if (settings.nr == VIRTIO_NET_MAX_IFACES)
		return errmsg(err, errlen, "--net: at most %d interfaces", VIRTIO_NET_MAX_IFACES);
	*n = (struct virtio_net_iface){ 0 };
	if (strncmp(arg, "tap=", 4) && strncmp(arg, "user-loopback", 13))
		return errmsg(err, errlen, "--net %s: expected tap=NAME or user-loopback", arg);
	len = cli__strip_keys("net", arg, false, NULL, &n->limit, err, errlen);
	if (len < 0)
		return -1;
	n->spec = strndup(arg, (size_t)len);
	if (!n->spec)
		return errmsg(err, errlen, "--net: out of memory");
	if (strncmp(n->spec, "tap=", 4) && strcmp(n->spec, "user-loopback"))
		return errmsg(err, errlen, "--net %s: expected tap=NAME or user-loopback", arg);
	settings.nr++;
	return 0;
}

static int parse_model_virtio(struct domain_ctx *c, struct _xmlNode *n)
{
	return domain__attr_in(c, n, "type", "virtio|virtio-non-transitional", false);
}

static int parse_net_target(struct domain_ctx *c, struct _xmlNode *n)
{
	char *dev = domain__attr(n, "dev"), *spec;

	if (!dev || domain__attr_in(c, n, "managed", "yes|no", false)) {
		free(dev);
		return dev ? -1 : domain__fail(c, n, "<target> of an interface needs dev='TAP'");
	}
	spec = malloc(strlen(dev) + 5);
	if (spec)
		sprintf(spec, "tap=%s", dev);
	free(dev);
	return domain__set_once(c, n, &settings.ifaces[settings.nr].spec, spec);
}

/* libvirt's type='ethernet' TAP is mkvm's --net tap=NAME: managed='no' names
 * a TAP that exists already, managed='yes' one libvirt creates. mkvm's
 * TUNSETIFF does either (it attaches to NAME, or creates it with
 * CAP_NET_ADMIN), so both mean the same here. libvirt's type='user' is
 * QEMU's NAT stack, which mkvm does not have. */
static int parse_interface(struct domain_ctx *c, struct _xmlNode *n)
{
	static const struct domain_elem iface[] = {
		{ "mac",     DOMAIN_ATTRS("address"), NULL },
		{ "model",   DOMAIN_ATTRS("type"), parse_model_virtio },
		{ "target",  DOMAIN_ATTRS("dev", "managed"), parse_net_target },
		DOMAIN_ADDRESS,
	};
	char *type = domain__attr(n, "type");
	bool ethernet = type && !strcmp(type, "ethernet");

	if (!ethernet) {
		domain__fail(c, n, "<interface type='%s'> is not supported by mkvm: it has no "
			     "user-mode (NAT) network; it takes <interface type='ethernet'> with "
			     "<target dev='TAP' managed='yes|no'/>", type ? type : "");
		free(type);
		return -1;
	}
	free(type);
	if (settings.nr == VIRTIO_NET_MAX_IFACES)
		return domain__fail(c, n, "more than %d interfaces", VIRTIO_NET_MAX_IFACES);
	if (DOMAIN_CHILDREN(c, n, iface))
		return -1;
	if (!settings.ifaces[settings.nr].spec)
		return domain__fail(c, n, "<interface type='ethernet'> needs <target dev='TAP' "
				    "managed='yes|no'/>");
	settings.nr++;
	return 0;
}

static const struct domain_elem net_domain = {
	"interface", DOMAIN_ATTRS("type"), parse_interface,
};

static int net_setup(struct vm *vm, int out_fd)
{
	(void)out_fd;
	for (int i = 0; i < settings.nr; i++)
		if (virtio_net__init(vm, settings.ifaces[i].spec, &settings.ifaces[i].limit))
			return MKVM_EXIT_USAGE;
	return 0;
}

static const struct device_decl net_decl = {
	.order = 20,
	.option = "net",
	.has_arg = ARG_REQUIRED,
	.help = "virtio-net on tap=NAME or user-loopback[,LIMITS] (repeatable)",
	.settings = &settings,
	.reset = net_reset,
	.parse = parse_net,
	.domain = &net_domain,
	.init = net_setup,
};
DEVICE_DECLARE(net_decl);
