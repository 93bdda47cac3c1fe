/* The virtio 1.x PCI transport, modern interface only (spec 4.1), shared by
 * every mkvm virtio device. A device supplies a struct virtio_pci_ops and
 * calls virtio_pci__init(); the transport does the rest:
 *
 *   BAR 0 (memory, 16 KiB)     0x0000 common configuration
 *                              0x1000 ISR status
 *                              0x2000 device-specific configuration
 *                              0x3000 notifications, queue q at 0x3000 + 4 q
 *   BAR 2                      MSI-X table and PBA (the PCI core's)
 *
 * and BAR 0 is also reachable through the VIRTIO_PCI_CAP_PCI_CFG window in
 * config space (4.1.4.9).
 *
 * Threads: BAR accesses arrive on vCPU threads; queue work runs on one
 * worker thread per device, woken by the queue's kick eventfd. That eventfd
 * is also a KVM ioeventfd on the queue's notify address, so a notification
 * costs no exit to user space; interrupts go out as MSI-X messages from the
 * worker. vp->lock serialises the register file against the worker.
 *
 * A malformed ring stops its device: DEVICE_NEEDS_RESET is set, a
 * configuration interrupt is sent, and nothing more is processed until the
 * driver resets the device.
 *
 * A device may have a rate limiter (virtio_pci__limit()): chains wait in
 * the ring while it is dry, and a timerfd the worker polls wakes it when
 * the limiter has tokens again.
 */
#ifndef MKVM_VIRTIO_PCI_H
#define MKVM_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "pci/pci.h"
#include "virtio/virtqueue.h"

#define VIRTIO_PCI_MAX_QUEUES 4
#define VIRTIO_PCI_BAR        0
#define VIRTIO_PCI_MSIX_BAR   2
#define VIRTIO_PCI_BAR_SIZE   0x4000
#define VIRTIO_PCI_COMMON     0x0000
#define VIRTIO_PCI_ISR        0x1000
#define VIRTIO_PCI_DEVCFG     0x2000
#define VIRTIO_PCI_NOTIFY     0x3000
#define VIRTIO_PCI_NOTIFY_MUL 4

struct vm;
struct virtio_pci;

struct virtio_pci_ops {
	const char *name;          /* for messages: "virtio-blk" */
	uint16_t device_id;        /* VIRTIO_ID_* */
	uint32_t class_code;
	int num_queues;
	uint64_t features;         /* device-specific bits offered */
	/* Device configuration space, read by the guest; writes are ignored.
	 * The device may change it under vp->lock. */
	const void *config;
	uint32_t config_len;
	/* Serves available buffers of queue q, on the worker, with vp->lock
	 * held. Returns the number of chains completed, -1 for a bad ring. */
	int (*queue_notify)(struct virtio_pci *vp, int q);
	/* Optional: a host fd the worker also polls (e.g. a TAP device)
	 * while the device is live (DRIVER_OK, not DEVICE_NEEDS_RESET); on
	 * POLLIN it calls poll_ready with vp->lock held, which must consume
	 * the event or make poll_fd return -1 (none) next time. poll_ready
	 * returns -1 for a malformed queue 0 (the device's receive queue). */
	int (*poll_fd)(struct virtio_pci *vp);
	int (*poll_ready)(struct virtio_pci *vp);
};

struct virtio_pci_queue {
	struct virtq vq;
	uint16_t size;             /* queue_size as the driver set it */
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc, driver, device;
	int kick_fd;               /* eventfd: ioeventfd target, worker polls */
	bool ioeventfd;            /* kick_fd registered with KVM */
	uint64_t ioeventfd_addr;
};

struct virtio_pci {
	struct pci_device pci;
	const struct virtio_pci_ops *ops;
	void *dev;                 /* the device's own state */
	struct vm *vm;             /* NULL in unit tests: no ioeventfd */
	struct virtio_mem mem;

	pthread_mutex_t lock;
	uint32_t dev_feature_sel, drv_feature_sel;
	uint64_t driver_features;
	uint16_t msix_config;
	uint8_t status;
	uint8_t config_generation;
	uint16_t queue_sel;
	uint8_t isr;
	struct virtio_pci_queue q[VIRTIO_PCI_MAX_QUEUES];
	uint8_t cfg_cap;           /* config offset of the PCI_CFG capability */
	uint8_t cfg_data[4];       /* its pci_cfg_data (vCPU threads only) */

	struct rate_limiter limit; /* inactive unless virtio_pci__limit() */
	int timer_fd;              /* timerfd: the limiter has tokens again */
	bool timer_armed;

	pthread_t worker;
	int stop_fd;               /* eventfd: ends the worker */
	struct virtq_chain chain;  /* scratch for the devices' handlers */
};

/* Registers a device on bus, with guest memory from vm (or from mem when
 * vm is NULL, for tests), and starts its worker. Prints why and returns
 * -1 on failure. */
int virtio_pci__init(struct virtio_pci *vp, const struct virtio_pci_ops *ops,
		     struct pci_bus *bus, void *dev, struct vm *vm,
		     const struct virtio_mem *mem);

/* Stops the worker and releases the eventfds. */
void virtio_pci__exit(struct virtio_pci *vp);

/* Features this device negotiated (valid after FEATURES_OK). */
uint64_t virtio_pci__features(const struct virtio_pci *vp);

/* After a device pushed used buffers of queue q (vp->lock held): sends the
 * queue's interrupt if the driver wants one. */
void virtio_pci__queue_interrupt(struct virtio_pci *vp, int q);

/* The configuration changed (vp->lock held): bumps config_generation and
 * sends the configuration interrupt. */
void virtio_pci__config_changed(struct virtio_pci *vp);

/* Drains queue q through a chain handler and interrupts as needed; the
 * common queue_notify for request/response devices. A bounded amount per
 * call, the rest later (at once, or when the rate limiter allows). */
int virtio_pci__drain(struct virtio_pci *vp, int q, virtq_handler_fn fn,
		      void *opaque);

/* Limits the device's requests (bytes and operations a second, both
 * directions together); call after virtio_pci__init(). */
void virtio_pci__limit(struct virtio_pci *vp, const struct rate_limit *l);

/* The device's limiter, or NULL when it has none (vp->lock held). */
struct rate_limiter *virtio_pci__limiter(struct virtio_pci *vp);

/* Whether the limiter is dry now; if so the worker's timer is armed for
 * when it is not, and every live queue is looked at again then (vp->lock
 * held). */
bool virtio_pci__throttled(struct virtio_pci *vp);

#endif
