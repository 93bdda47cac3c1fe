/* A virtio 1.x PCI transport for user-level driver servers: claims a modern
 * virtio-pci device from the PCI bus server (shared/mkvm/pci.h), which maps
 * the function's configuration page (read-only) and the BAR pages its
 * virtio capabilities point at (at their physical addresses) and enables
 * it, negotiates features, sets up split virtqueues in DMA pages from the
 * root task (shared/mkvm/root.h: a DMA page's virtual address is
 * MKVM_DMA_OFFSET plus its physical address, which is what the device is
 * told) and has the bus server route queue interrupts through MSI-X to the
 * driver's own MSI line. */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include "../lib/prog.h"
#include <mkvm/virtio.h>

/* A fresh zeroed DMA page (its virtual address), or NULL. */
void *vpci_dma_page(void);
/* The device's (physical) address of a byte of a DMA page. */
static inline uint64_t vpci_dma(const volatile void *p) { return (uint64_t)p - MKVM_DMA_OFFSET; }

struct vpci_dev {
	uint64_t bus, handle;                     /* the bus server, our claim */
	uint64_t bdf;                             /* bus << 8 | device << 3 | function */
	uint64_t bar[6], bar_size[6];             /* from the bus server (pci.h) */
	uint64_t cfg;                             /* the function's ECAM page */
	volatile struct virtio_pci_common_cfg *common;
	volatile uint8_t *isr;
	volatile uint8_t *devcfg;                 /* 0 if the device has none */
	uint64_t notify_base;
	uint32_t notify_mul;
	unsigned msix_cap;                        /* 0: no MSI-X capability */
	uint64_t features;                        /* negotiated */
};

/* Queue memory is one page: up to VPCI_QSIZE descriptors fit with both rings. */
#define VPCI_QSIZE 16

struct vpci_queue {
	uint16_t index, size;
	struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	volatile uint16_t *notify;
	uint16_t last_used;                       /* next used entry to consume */
};

/* Each returns 0 or prints the reason and returns -1. vpci_find claims the
 * first unclaimed device of the type from the bus server `bus`. */
int vpci_find(struct vpci_dev *d, uint64_t bus, uint16_t virtio_id);
int vpci_negotiate(struct vpci_dev *d, uint64_t want);
int vpci_msix_route(struct vpci_dev *d, unsigned vector);
int vpci_queue_setup(struct vpci_dev *d, struct vpci_queue *q, uint16_t index, uint16_t vector);
void vpci_driver_ok(struct vpci_dev *d);

/* Puts `chain` (n descriptors; next links filled in here) into descriptors
 * head..head+n-1, offers it on the available ring and notifies the device.
 * The caller keeps chains in flight from sharing descriptors. */
void vpci_queue_put(struct vpci_queue *q, uint16_t head, const struct virtq_desc *chain, unsigned n);
/* Takes one used entry if there is one: its head in *head, the bytes
 * written in *len. */
bool vpci_queue_take(struct vpci_queue *q, uint16_t *head, uint32_t *len);
/* The same for one chain in flight at a time, from descriptor 0. */
void vpci_queue_post(struct vpci_queue *q, const struct virtq_desc *chain, unsigned n);
bool vpci_queue_used(struct vpci_queue *q, uint32_t *len);

#endif
