/* virtio-console on the PCI transport, its host-input entry points, and
 * its declaration (device.h): --console.
 * Host input arrives on the terminal thread: it goes into the FIFO under
 * the FIFO's own lock, and an eventfd wakes the worker to deliver it. The
 * terminal thread never takes the transport lock, which the worker holds
 * while it writes guest output: a terminal that stops reading blocks the
 * worker, not the terminal loop (and so not Ctrl-A x). */
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <mkvm/testexit.h>
#include "cli.h"
#include "device.h"
#include "term.h"
#include "virtio/console.h"
#include "virtio/pci.h"

static struct {
	struct virtio_console con;
	struct virtio_pci vp;
	pthread_mutex_t fifo_lock; /* con's FIFO; taken after vp.lock */
	int input_fd;              /* eventfd: FIFO has new bytes */
	bool active;
} vcon = { .fifo_lock = PTHREAD_MUTEX_INITIALIZER };

static int deliver(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vcon.fifo_lock);
	int n = virtio_console__rx(&vcon.con, &vp->q[VIRTIO_CONSOLE_RX].vq,
				   &vp->chain);
	pthread_mutex_unlock(&vcon.fifo_lock);

	if (n > 0)
		virtio_pci__queue_interrupt(vp, VIRTIO_CONSOLE_RX);
	return n;
}

static int console_queue_notify(struct virtio_pci *vp, int q)
{
	if (q == VIRTIO_CONSOLE_TX)
		return virtio_pci__drain(vp, q, virtio_console__tx, &vcon.con);
	return deliver(vp);
}

static int console_poll_fd(struct virtio_pci *vp)
{
	(void)vp;
	return vcon.input_fd;
}

static int console_poll_ready(struct virtio_pci *vp)
{
	uint64_t count;

	if (read(vcon.input_fd, &count, sizeof(count)) < 0)
		return 0;
	if (!vp->q[VIRTIO_CONSOLE_RX].enabled)
		return 0;
	return deliver(vp);
}

static const struct virtio_pci_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.class_code = 0x078000, /* communication controller, other */
	.num_queues = 2,
	.config = &vcon.con.config,
	.config_len = sizeof(vcon.con.config),
	.queue_notify = console_queue_notify,
	.poll_fd = console_poll_fd,
	.poll_ready = console_poll_ready,
};

static const struct term_backend console_backend = {
	.rx_room = virtio_console__rx_room,
	.receive = virtio_console__receive,
};

int virtio_console__init(struct vm *vm, const struct virtio_mem *mem, int out_fd)
{
	if (vcon.active) {
		fprintf(stderr, "mkvm: only one --console\n");
		return -1;
	}
	virtio_console__setup(&vcon.con, out_fd);
	vcon.input_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vcon.input_fd < 0) {
		perror("mkvm: virtio-console: eventfd");
		return -1;
	}
	if (virtio_pci__init(&vcon.vp, &console_ops, &vcon.con, vm, mem)) {
		close(vcon.input_fd);
		return -1;
	}
	vcon.active = true;
	if (vm)
		term__set_backend(vm, &console_backend);
	return 0;
}

size_t virtio_console__rx_room(void)
{
	size_t room;

	if (!vcon.active)
		return 0;
	pthread_mutex_lock(&vcon.fifo_lock);
	room = virtio_console__fifo_room(&vcon.con);
	pthread_mutex_unlock(&vcon.fifo_lock);
	return room;
}

void virtio_console__receive(const uint8_t *buf, size_t n)
{
	uint64_t one = 1;

	if (!vcon.active)
		return;
	pthread_mutex_lock(&vcon.fifo_lock);
	virtio_console__fifo_put(&vcon.con, buf, n);
	pthread_mutex_unlock(&vcon.fifo_lock);
	if (write(vcon.input_fd, &one, sizeof(one)) < 0)
		perror("mkvm: virtio-console: eventfd");
}

static int parse_console(struct config *cfg, const char *arg, char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	cfg->console = true;
	return 0;
}

static int console_setup(struct vm *vm, const struct config *cfg, int out_fd)
{
	return cfg->console && virtio_console__init(vm, NULL, out_fd) ? MKVM_EXIT_INTERNAL : 0;
}

static const struct device_decl console_decl = {
	.order = 30,
	.option = "console",
	.has_arg = ARG_NONE,
	.help = "virtio-console on stdio (stdin goes to it, not COM1)",
	.parse = parse_console,
	.init = console_setup,
};
DEVICE_DECLARE(console_decl);
