/* PCI: one host bridge, bus 0 (struct vm's pci), reached through ECAM
 * (MCFG) and the legacy 0xCF8/0xCFC ports. Devices register themselves
 * kvmtool style:
 *
 *	static struct pci_device rng = {
 *		.vendor_id = 0x1af4, .device_id = 0x1044, .class_code = 0xff0000,
 *		.bar = { [0] = { .size = 0x1000 } },
 *		.bar_access = rng__bar_access, .msix_vectors = 2, .msix_bar = 1,
 *	};
 *	pci__register(&vm->pci, &rng);    // slot, header, BAR addresses
 *	pci__add_capability(&rng, ...);   // e.g. virtio vendor capabilities
 *
 * There is no firmware: mkvm assigns every BAR an address in the PCI window
 * at registration and enables decoding, so the guest may use them as found
 * (it may also size and move them; the core follows). Interrupts are MSI-X
 * only: the core emulates the table and PBA in msix_bar and delivers with
 * pci__msix_notify(), through one irqfd per vector (irq.h) that the core
 * routes whenever the guest leaves a vector unmasked with a new message.
 * Absent devices and functions read as all ones. */
#ifndef MKVM_PCI_H
#define MKVM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irq.h"

#define PCI_MAX_DEVICES  32          /* bus 0, function 0 of each slot */
#define PCI_MAX_MSIX     64
#define PCI_CFG_SIZE     256

struct io_bus;
struct pci_bus;
struct pci_device;
struct vcpu;

/* A guest access to offset bytes into BAR bar. len is 1, 2, 4 or 8. */
typedef void (*pci_bar_fn)(struct pci_device *dev, int bar, uint64_t offset,
			   uint8_t *data, uint32_t len, bool is_write);

struct pci_bar {
	uint64_t size;               /* power of two >= 16; 0: unused */
	bool io;                     /* I/O space instead of 32-bit memory */
};

struct pci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct pci_device {
	/* Set by the device before pci__register(). */
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_id;
	uint32_t class_code;         /* class << 16 | subclass << 8 | prog-if */
	uint8_t revision;
	struct pci_bar bar[6];
	pci_bar_fn bar_access;       /* for BARs other than msix_bar */
	int msix_vectors;            /* 0: no MSI-X */
	int msix_bar;                /* BAR holding table and PBA (core sizes it) */
	/* Optional: called (outside the core's lock) after the guest moved a
	 * BAR or switched its decoding on or off, e.g. to re-register an
	 * ioeventfd at pci__bar_address() when pci__bar_enabled(). */
	void (*bar_changed)(struct pci_device *dev, int bar);
	/* Optional: config accesses that lie inside [cfg_hook_off,
	 * cfg_hook_off + cfg_hook_len) go here instead of to cfg[], outside
	 * the core's lock (e.g. virtio's window onto its BARs). */
	void (*cfg_hook)(struct pci_device *dev, uint32_t offset, uint8_t *data,
			 uint32_t len, bool is_write);
	uint8_t cfg_hook_off, cfg_hook_len;
	void *opaque;                /* the device's own state */

	/* Owned by the PCI core. */
	struct pci_bus *bus;
	int slot;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t cfg_used;            /* end of the capability list so far */
	uint32_t bar_addr[6];
	uint32_t bar_mask[6];        /* ~(size-1) for sizing reads */
	struct pci_msix_entry msix[PCI_MAX_MSIX];
	uint64_t msix_pending;       /* PBA bits */
	struct irq_msi msix_irq[PCI_MAX_MSIX];  /* each vector's GSI and irqfd */
};

/* The bus: its devices by slot and what the core keeps for each. Owned by
 * the core; zeroed until pci__init(). */
struct pci_bus {
	pthread_mutex_t lock;
	struct irq_router *irq;                        /* the devices' MSI-X go there */
	struct pci_device *dev[PCI_MAX_DEVICES];
	uint8_t wmask[PCI_MAX_DEVICES][PCI_CFG_SIZE];  /* guest-writable bits */
	uint8_t msix_cap[PCI_MAX_DEVICES];             /* offset, 0: none */
	uint32_t cf8;
	uint64_t mmio_next, pio_next;
	int nr;
	bool ready;
	struct pci_device host_bridge;
};

/* Sets up bus with its host bridge, its devices' MSI-X sent through irq,
 * and claims ECAM, 0xCF8-0xCFF and the BAR windows on io. Call after
 * irq__init() and before any pci__register(); again, it does nothing. */
int pci__init(struct pci_bus *bus, struct io_bus *io, struct irq_router *irq);

/* Gives dev the next free slot on bus, builds its header and assigns its
 * BARs. Returns the slot or -1 (bus full, bad BAR size, window
 * exhausted). */
int pci__register(struct pci_bus *bus, struct pci_device *dev);

/* Appends a capability (cap[0] = id, cap[1] is filled in as the next
 * pointer). Returns its config-space offset or -1 when it does not fit. */
int pci__add_capability(struct pci_device *dev, const void *cap, size_t len);

/* Lets the guest write bytes [off, off+len) of dev's config space (e.g.
 * fields of a capability). */
void pci__cfg_set_writable(struct pci_device *dev, uint32_t off, uint32_t len);

/* Reads len (1, 2 or 4) bytes of dev's config space at off, under the
 * core's lock. */
uint32_t pci__cfg_read(struct pci_device *dev, uint32_t off, uint32_t len);

/* Signals MSI-X vector vec (a write to its irqfd), or sets its PBA bit when
 * the vector or the function is masked or MSI-X is off; the bit is
 * delivered and cleared when that ends (PCI 3.0 6.8.2.9). */
void pci__msix_notify(struct pci_device *dev, int vec);

/* Guest physical address of BAR bar as currently programmed. */
uint32_t pci__bar_address(const struct pci_device *dev, int bar);

/* Whether the guest can reach BAR bar: decoding on and an address set. */
bool pci__bar_enabled(const struct pci_device *dev, int bar);

/* The config access paths, exposed for unit tests. */
void pci__cfg_access(struct pci_bus *bus, int slot, int fn, uint32_t offset,
		     uint8_t *data, uint32_t len, bool is_write);

#endif
