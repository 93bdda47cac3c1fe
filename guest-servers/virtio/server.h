/* The loop of a driver server that has one request in its device at a
 * time: it takes client requests and its device's queue interrupt (as IPC
 * from the kernel, on the MSI line the root task attached to the driver's
 * thread) in one receive, and answers a client either at once or when the
 * device has used its buffer. A device embeds struct vpci_server as its
 * first member. */
#ifndef VIRTIO_SERVER_H
#define VIRTIO_SERVER_H

#include "virtio_pci.h"

struct vpci_server {
	struct vpci_queue *q;           /* the request queue */
	uint64_t client;                /* whose request is in the device, or 0 */
	uint64_t acceptor;              /* receive window for clients' maps, or 0 */
	bool ok;                        /* the device is set up */
	/* A client's request in mr[]: true if the reply is in mr[] now, false
	 * if it went to the device (the callee sets client). */
	bool (*request)(struct vpci_server *s, uint64_t *mr, uint64_t from);
	/* The device used the request's buffer (len bytes written): the
	 * client's reply in mr[]. */
	void (*complete)(struct vpci_server *s, uint64_t *mr, uint32_t len);
};

/* The driver's interrupt line, as the root task gave it (shared/mkvm/root.h). */
struct vpci_irq {
	uint64_t line;
};

/* Every driver's start: its device of virtio_id claimed through the PCI
 * bus server, features want negotiated and MSI-X vector 0 routed by the
 * bus server to the driver's MSI line (the driver's queues then use
 * vector 0; *irq says which line). 0, or -1 after the reason was printed. */
int vpci_start(struct vpci_dev *d, uint16_t virtio_id, uint64_t want, struct vpci_irq *irq);

/* The device is set up: the driver registers its name with the root
 * task, and clients find it from now on. */
void vpci_ready(void);
/* Is a message from `from` the device's interrupt? Acknowledge it with
 * vpci_ack() once handled. */
bool vpci_is_interrupt(uint64_t from);
void vpci_ack(void);

/* Registers the driver and serves clients forever. */
_Noreturn void vpci_serve(struct vpci_server *s);

#endif
