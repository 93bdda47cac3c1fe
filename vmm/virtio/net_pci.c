/* virtio-net on the PCI transport, and its declaration (device.h): one
 * device per --net. The worker polls
 * the backend only while the guest has receive buffers available and the
 * rate limiter (if any) has tokens, so a frame with nowhere to go waits in
 * the backend instead of spinning. */
#include <stdlib.h>
#include <string.h>
#include <mkvm/testexit.h>
#include "cli.h"
#include "device.h"
#include "errmsg.h"
#include "virtio/net.h"
#include "virtio/pci.h"

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
	if (virtio_pci__init(&d->vp, &d->ops, d, vm, NULL)) {
		virtio_net__close(&d->net);
		free(d);
		return -1;
	}
	virtio_pci__limit(&d->vp, lim);
	return 0;
}

/* tap=NAME or user-loopback, then [,rate=SIZE][,ops=N]; the device checks
 * NAME when it opens it. */
static int parse_net(struct config *cfg, const char *arg, char *err, size_t errlen)
{
	struct cli_net *n = &cfg->nets[cfg->nr_nets];
	int len;

	if (cfg->nr_nets == CLI_MAX_NETS)
		return errmsg(err, errlen, "--net: at most %d interfaces", CLI_MAX_NETS);
	*n = (struct cli_net){ 0 };
	if (strncmp(arg, "tap=", 4) && strncmp(arg, "user-loopback", 13))
		return errmsg(err, errlen, "--net %s: expected tap=NAME or user-loopback", arg);
	len = cli__strip_keys("net", arg, false, NULL, &n->limit, err, errlen);
	if (len < 0)
		return -1;
	n->spec = arg[len] ? strndup(arg, (size_t)len) : arg;
	if (!n->spec)
		return errmsg(err, errlen, "--net: out of memory");
	if (strncmp(n->spec, "tap=", 4) && strcmp(n->spec, "user-loopback"))
		return errmsg(err, errlen, "--net %s: expected tap=NAME or user-loopback", arg);
	cfg->nr_nets++;
	return 0;
}

static int net_setup(struct vm *vm, const struct config *cfg, int out_fd)
{
	(void)out_fd;
	for (int i = 0; i < cfg->nr_nets; i++)
		if (virtio_net__init(vm, cfg->nets[i].spec, &cfg->nets[i].limit))
			return MKVM_EXIT_USAGE;
	return 0;
}

static const struct device_decl net_decl = {
	.order = 20,
	.option = "net",
	.has_arg = ARG_REQUIRED,
	.help = "virtio-net on tap=NAME or user-loopback[,LIMITS] (repeatable)",
	.parse = parse_net,
	.init = net_setup,
};
DEVICE_DECLARE(net_decl);
