/* virtio-console on the PCI transport, its host-input entry points, and
 * its declaration (device.h): its settings, --console and the libvirt
 * <console>.
 * Host input arrives on the terminal thread: it goes into the FIFO under
 * the FIFO's own lock, and an eventfd wakes the worker to deliver it. The
 * terminal thread never takes the transport lock, which the worker holds
 * while it writes guest output: a terminal that stops reading blocks the
 * worker, not the terminal loop (and so not Ctrl-A x). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <mkvm/testexit.h>
#include "config/domain.h"
#include "device.h"
#include "term.h"
#include "virtio/console.h"
#include "virtio/pci.h"
#include "vm.h"

struct virtio_console_pci {
	struct virtio_console con;
	struct virtio_pci vp;
	struct virtio_pci_ops ops;
	pthread_mutex_t fifo_lock; /* con's FIFO; taken after vp.lock */
	int input_fd;              /* eventfd: FIFO has new bytes */
};

static int deliver(struct virtio_pci *vp)
{
	struct virtio_console_pci *d = vp->dev;

	pthread_mutex_lock(&d->fifo_lock);
	int n = virtio_console__rx(&d->con, &vp->q[VIRTIO_CONSOLE_RX].vq, &vp->chain);
	pthread_mutex_unlock(&d->fifo_lock);

	if (n > 0)
		virtio_pci__queue_interrupt(vp, VIRTIO_CONSOLE_RX);
	return n;
}

static int console_queue_notify(struct virtio_pci *vp, int q)
{
	struct virtio_console_pci *d = vp->dev;

	if (q == VIRTIO_CONSOLE_TX)
		return virtio_pci__drain(vp, q, virtio_console__tx, &d->con);
	return deliver(vp);
}

static int console_poll_fd(struct virtio_pci *vp)
{
	struct virtio_console_pci *d = vp->dev;

	return d->input_fd;
}

static int console_poll_ready(struct virtio_pci *vp)
{
	struct virtio_console_pci *d = vp->dev;
	uint64_t count;

	if (read(d->input_fd, &count, sizeof(count)) < 0)
		return 0;
	if (!vp->q[VIRTIO_CONSOLE_RX].enabled)
		return 0;
	return deliver(vp);
}

static size_t console_input_room(void *dev)
{
	return virtio_console__rx_room(dev);
}

static void console_input(void *dev, const uint8_t *buf, size_t n)
{
	virtio_console__receive(dev, buf, n);
}

static const struct term_backend console_backend = {
	.rx_room = console_input_room,
	.receive = console_input,
};

struct virtio_console_pci *virtio_console__init(struct pci_bus *bus, struct vm *vm,
						const struct virtio_mem *mem, int out_fd)
{
	struct virtio_console_pci *d = calloc(1, sizeof(*d));

	if (!d) {
		perror("mkvm: virtio-console");
		return NULL;
	}
	pthread_mutex_init(&d->fifo_lock, NULL);
	virtio_console__setup(&d->con, out_fd);
	d->input_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->input_fd < 0) {
		perror("mkvm: virtio-console: eventfd");
		free(d);
		return NULL;
	}
	d->ops = (struct virtio_pci_ops){
		.name = "virtio-console",
		.device_id = VIRTIO_ID_CONSOLE,
		.class_code = 0x078000, /* communication controller, other */
		.num_queues = 2,
		.config = &d->con.config,
		.config_len = sizeof(d->con.config),
		.queue_notify = console_queue_notify,
		.poll_fd = console_poll_fd,
		.poll_ready = console_poll_ready,
	};
	if (virtio_pci__init(&d->vp, &d->ops, bus, d, vm, mem)) {
		close(d->input_fd);
		free(d);
		return NULL;
	}
	if (vm)
		term__set_backend(vm, &console_backend, d);
	return d;
}

size_t virtio_console__rx_room(struct virtio_console_pci *d)
{
	size_t room;

	pthread_mutex_lock(&d->fifo_lock);
	room = virtio_console__fifo_room(&d->con);
	pthread_mutex_unlock(&d->fifo_lock);
	return room;
}

void virtio_console__receive(struct virtio_console_pci *d, const uint8_t *buf, size_t n)
{
	uint64_t one = 1;

	pthread_mutex_lock(&d->fifo_lock);
	virtio_console__fifo_put(&d->con, buf, n);
	pthread_mutex_unlock(&d->fifo_lock);
	if (write(d->input_fd, &one, sizeof(one)) < 0)
		perror("mkvm: virtio-console: eventfd");
}

static struct virtio_console_settings settings;

static void console_reset(void)
{
	memset(&settings, 0, sizeof(settings));
}

static int parse_console(const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	settings.on = true;
	return 0;
}

static int parse_console_target(struct domain_ctx *c, struct _xmlNode *n)
{
	char *type = domain__attr(n, "type");

	if (domain__attr_in(c, n, "type", "virtio|serial", false) ||
	    domain__attr_in(c, n, "port", "0", true)) {
		free(type);
		return -1;
	}
	/* type='serial' is libvirt's second name for COM1, described by <serial>. */
	settings.on |= !strcmp(type, "virtio");
	free(type);
	return 0;
}

static int parse_console_elem(struct domain_ctx *c, struct _xmlNode *n)
{
	static const struct domain_elem console[] = {
		{ "target",  DOMAIN_ATTRS("type", "port"), parse_console_target },
		DOMAIN_ADDRESS,
	};
	if (domain__attr_in(c, n, "type", "pty", false))
		return -1;
	return DOMAIN_CHILDREN(c, n, console);
}

static const struct domain_elem console_domain = {
	"console", DOMAIN_ATTRS("type"), parse_console_elem,
};

static int console_setup(struct vm *vm, int out_fd)
{
	if (settings.on && !virtio_console__init(&vm->pci, vm, NULL, out_fd))
		return MKVM_EXIT_INTERNAL;
	return 0;
}

static const struct device_decl console_decl = {
	.order = 30,
	.option = "console",
	.has_arg = ARG_NONE,
	.help = "virtio-console on stdio (stdin goes to it, not COM1)",
	.settings = &settings,
	.reset = console_reset,
	.parse = parse_console,
	.domain = &console_domain,
	.init = console_setup,
};
DEVICE_DECLARE(console_decl);
