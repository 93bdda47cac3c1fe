/* The PCI core: config space (type 0 headers, PCI Local Bus 3.0 and PCI
 * Express Base ECAM), BAR decoding inside the windows of layout.h, and the
 * MSI-X table/PBA (PCI 3.0 section 6.8.2). */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "io.h"
#include "irq.h"
#include "layout.h"
#include "pci/pci.h"

#define CFG_VENDOR      0x00
#define CFG_COMMAND     0x04
#define CFG_STATUS      0x06
#define CFG_REVISION    0x08
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0        0x10
#define CFG_SUBSYS      0x2c
#define CFG_CAP_PTR     0x34
#define CFG_INT_LINE    0x3c
#define CMD_IO          0x0001
#define CMD_MEM         0x0002
#define CMD_MASTER      0x0004
#define CMD_INTX_OFF    0x0400
#define STATUS_CAP_LIST 0x0010
#define CAP_MSIX        0x11
#define MSIX_ENABLE     0x8000
#define MSIX_MASKALL    0x4000
#define MSIX_VEC_MASKED 0x1

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

uint32_t pci__bar_address(const struct pci_device *dev, int bar)
{
	uint32_t v = get32(&dev->cfg[CFG_BAR0 + 4 * bar]);

	return dev->bar[bar].io ? v & ~3u : v & ~15u;
}

bool pci__bar_enabled(const struct pci_device *dev, int bar)
{
	uint16_t cmd;

	memcpy(&cmd, &dev->cfg[CFG_COMMAND], 2);
	return dev->bar[bar].size && pci__bar_address(dev, bar) &&
	       (cmd & (dev->bar[bar].io ? CMD_IO : CMD_MEM));
}

/* Whether vector vec may send now: MSI-X on, function and vector unmasked.
 * Must hold the bus lock. */
static bool msix_unmasked(const struct pci_device *dev, int vec)
{
	uint16_t ctrl;

	memcpy(&ctrl, &dev->cfg[dev->bus->msix_cap[dev->slot] + 2], 2);
	return (ctrl & MSIX_ENABLE) && !(ctrl & MSIX_MASKALL) &&
	       !(dev->msix[vec].ctrl & MSIX_VEC_MASKED);
}

static struct msi_msg msix_msg(const struct pci_device *dev, int vec)
{
	const struct pci_msix_entry *e = &dev->msix[vec];

	return (struct msi_msg){ .addr_lo = e->addr_lo, .addr_hi = e->addr_hi,
				 .data = e->data };
}

/* Sends vector vec if it is unmasked, else records it in the PBA. Must
 * hold the bus lock. */
static void msix_deliver(struct pci_device *dev, int vec)
{
	struct msi_msg m = msix_msg(dev, vec);

	if (!msix_unmasked(dev, vec)) {
		dev->msix_pending |= 1ull << vec;
		return;
	}
	dev->msix_pending &= ~(1ull << vec);
	irq__msi_send(&dev->msix_irq[vec], &m);
}

void pci__msix_notify(struct pci_device *dev, int vec)
{
	if (vec < 0 || vec >= dev->msix_vectors)
		return;
	pthread_mutex_lock(&dev->bus->lock);
	msix_deliver(dev, vec);
	pthread_mutex_unlock(&dev->bus->lock);
}

/* After the guest wrote the table or the MSI-X control: routes every
 * vector that may send to its (possibly new) message, so the worker's
 * irqfd write reaches it, and delivers what became deliverable. A masked
 * vector keeps its old route until unmasked: drivers reprogram masked
 * entries one word at a time. Holds the bus lock. */
static void msix_update(struct pci_device *dev)
{
	for (int v = 0; v < dev->msix_vectors; v++) {
		struct msi_msg m = msix_msg(dev, v);

		if (!msix_unmasked(dev, v))
			continue;
		irq__msi_route(&dev->msix_irq[v], &m);  /* on failure: KVM_SIGNAL_MSI */
		if (dev->msix_pending >> v & 1)
			msix_deliver(dev, v);
	}
}

/* The MSI-X table sits at offset 0 of msix_bar, the PBA right after it. */
static uint64_t msix_pba_offset(const struct pci_device *dev)
{
	return (uint64_t)dev->msix_vectors * 16;
}

static void msix_access(struct pci_device *dev, uint64_t off, uint8_t *data,
			uint32_t len, bool is_write)
{
	uint64_t pba = msix_pba_offset(dev);

	if (off < pba && off % 4 == 0 && len == 4) {
		uint32_t *word = (uint32_t *)&dev->msix[off / 16] + (off % 16) / 4;

		if (!is_write) {
			memcpy(data, word, 4);
			return;
		}
		memcpy(word, data, 4);
		msix_update(dev);
		return;
	}
	if (off < pba && off % 8 == 0 && len == 8) {
		msix_access(dev, off, data, 4, is_write);
		msix_access(dev, off + 4, data + 4, 4, is_write);
		return;
	}
	if (!is_write && off >= pba && off - pba < 8) {
		uint8_t bytes[16];

		memcpy(bytes, &dev->msix_pending, 8);
		memset(bytes + 8, 0, 8);
		memcpy(data, bytes + (off - pba), len);
		return;
	}
	if (!is_write)
		memset(data, 0, len);
}

/* Finds the device and BAR decoding addr; must hold the bus lock. */
static struct pci_device *bar_lookup(struct pci_bus *bus, bool io, uint64_t addr, int *bar,
				     uint64_t *off)
{
	for (int s = 0; s < bus->nr; s++) {
		struct pci_device *d = bus->dev[s];
		uint16_t cmd;

		memcpy(&cmd, &d->cfg[CFG_COMMAND], 2);
		if (!(cmd & (io ? CMD_IO : CMD_MEM)))
			continue;
		for (int b = 0; b < 6; b++) {
			uint64_t base = pci__bar_address(d, b);

			if (d->bar[b].size && d->bar[b].io == io && base &&
			    addr - base < d->bar[b].size) {
				*bar = b;
				*off = addr - base;
				return d;
			}
		}
	}
	return NULL;
}

static void bar_access(struct pci_bus *bus, bool io, uint64_t addr, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct pci_device *d;
	uint64_t off;
	int bar;

	pthread_mutex_lock(&bus->lock);
	d = bar_lookup(bus, io, addr, &bar, &off);
	if (d && d->msix_vectors && bar == d->msix_bar) {
		msix_access(d, off, data, len, is_write);
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	pthread_mutex_unlock(&bus->lock);
	if (d && d->bar_access)
		d->bar_access(d, bar, off, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}

static void pci__bar_mmio(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
			  uint32_t len, bool is_write, void *bus)
{
	(void)vcpu;
	bar_access(bus, false, addr, data, len, is_write);
}

static void pci__bar_pio(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
			 uint32_t len, bool is_write, void *bus)
{
	(void)vcpu;
	bar_access(bus, true, addr, data, len, is_write);
}

/* A config write went through wmask; re-apply the BAR and MSI-X rules. */
static void cfg_written(struct pci_device *d, uint32_t offset, uint32_t len)
{
	uint8_t cap = d->bus->msix_cap[d->slot];

	if (cap && offset <= cap + 3u && offset + len > cap + 2u)
		msix_update(d);
}

/* What a BAR decodes now: its address, or 0 when the guest cannot reach
 * it. Must hold the bus lock. */
static uint32_t bar_decoded(const struct pci_device *d, int b)
{
	return pci__bar_enabled(d, b) ? pci__bar_address(d, b) : 0;
}

void pci__cfg_access(struct pci_bus *bus, int slot, int fn, uint32_t offset,
		     uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_device *d;
	uint32_t before[6] = { 0 };
	int changed = 0;

	pthread_mutex_lock(&bus->lock);
	d = slot < PCI_MAX_DEVICES && fn == 0 ? bus->dev[slot] : NULL;
	if (d && d->cfg_hook && offset >= d->cfg_hook_off &&
	    offset + len <= (uint32_t)d->cfg_hook_off + d->cfg_hook_len) {
		pthread_mutex_unlock(&bus->lock);
		d->cfg_hook(d, offset, data, len, is_write);
		return;
	}
	if (!d || offset + len > 4096) {
		if (!is_write)
			memset(data, 0xff, len);
	} else if (offset >= PCI_CFG_SIZE) {
		if (!is_write)
			memset(data, 0, len);    /* no extended capabilities */
	} else if (!is_write) {
		/* An access may straddle the end of the emulated 256 bytes. */
		uint32_t n = offset + len > PCI_CFG_SIZE ? PCI_CFG_SIZE - offset : len;

		memcpy(data, &d->cfg[offset], n);
		memset(data + n, 0, len - n);
	} else {
		for (int b = 0; b < 6; b++)
			before[b] = bar_decoded(d, b);
		for (uint32_t i = 0; i < len && offset + i < PCI_CFG_SIZE; i++) {
			uint8_t m = bus->wmask[slot][offset + i];

			d->cfg[offset + i] = (uint8_t)((d->cfg[offset + i] & ~m) | (data[i] & m));
		}
		cfg_written(d, offset, len);
		for (int b = 0; b < 6; b++)
			if (bar_decoded(d, b) != before[b])
				changed |= 1 << b;
	}
	pthread_mutex_unlock(&bus->lock);
	for (int b = 0; b < 6; b++)
		if ((changed >> b & 1) && d->bar_changed)
			d->bar_changed(d, b);
}

void pci__cfg_set_writable(struct pci_device *d, uint32_t off, uint32_t len)
{
	pthread_mutex_lock(&d->bus->lock);
	for (uint32_t i = off; i < off + len && i < PCI_CFG_SIZE; i++)
		d->bus->wmask[d->slot][i] = 0xff;
	pthread_mutex_unlock(&d->bus->lock);
}

uint32_t pci__cfg_read(struct pci_device *d, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	pthread_mutex_lock(&d->bus->lock);
	if (len <= 4 && off + len <= PCI_CFG_SIZE)
		memcpy(&v, &d->cfg[off], len);
	pthread_mutex_unlock(&d->bus->lock);
	return v;
}

static void pci__ecam(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
		      uint32_t len, bool is_write, void *bus)
{
	uint64_t off = addr - PCI_ECAM_START;

	(void)vcpu;
	pci__cfg_access(bus, (int)(off >> 15) & 31, (int)(off >> 12) & 7,
			(uint32_t)off & 0xfff, data, len, is_write);
}

static void pci__cf8(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
		     uint32_t len, bool is_write, void *opaque)
{
	struct pci_bus *bus = opaque;

	(void)vcpu; (void)addr;
	if (len != 4) {                  /* only dword accesses hit CONFIG_ADDRESS */
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		memcpy(&bus->cf8, data, 4);
	else
		memcpy(data, &bus->cf8, 4);
}

static void pci__cfc(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
		     uint32_t len, bool is_write, void *opaque)
{
	struct pci_bus *bus = opaque;
	uint32_t a = bus->cf8;
	uint32_t off = (a & 0xfc) + (uint32_t)(addr - 0xcfc);

	(void)vcpu; (void)opaque;
	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0 || off + len > 256) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pci__cfg_access(bus, (int)(a >> 11) & 31, (int)(a >> 8) & 7, off, data, len, is_write);
}

int pci__init(struct pci_bus *bus, struct io_bus *io, struct irq_router *irq)
{
	if (bus->ready)
		return 0;
	pthread_mutex_init(&bus->lock, NULL);
	bus->irq = irq;
	bus->mmio_next = PCI_MMIO_START;
	bus->pio_next = PCI_PIO_START;
	if (io__register(io, IO_MMIO, PCI_ECAM_START, PCI_ECAM_SIZE, pci__ecam, bus) ||
	    io__register(io, IO_PIO, 0xcf8, 1, pci__cf8, bus) ||
	    io__register(io, IO_PIO, 0xcfc, 4, pci__cfc, bus) ||
	    io__register(io, IO_MMIO, PCI_MMIO_START, PCI_MMIO_SIZE, pci__bar_mmio, bus) ||
	    io__register(io, IO_PIO, PCI_PIO_START, PCI_PIO_SIZE, pci__bar_pio, bus))
		return -1;
	bus->ready = true;
	bus->host_bridge = (struct pci_device){
		.vendor_id = 0x1b36, .device_id = 0x0008, /* generic PCIe host bridge */
		.class_code = 0x060000,
	};
	return pci__register(bus, &bus->host_bridge) == 0 ? 0 : -1;
}

static uint64_t round_pow2(uint64_t v)
{
	uint64_t p = 16;

	while (p < v)
		p <<= 1;
	return p;
}

/* Assigns BAR b a naturally aligned address in its window. */
static int assign_bar(struct pci_device *d, int b)
{
	struct pci_bus *bus = d->bus;
	uint64_t size = d->bar[b].size, *next = d->bar[b].io ? &bus->pio_next : &bus->mmio_next;
	uint64_t end = d->bar[b].io ? PCI_PIO_START + PCI_PIO_SIZE : PCI_MMIO_START + PCI_MMIO_SIZE;
	uint64_t base = (*next + size - 1) & ~(size - 1);
	uint32_t mask = (uint32_t)~(size - 1);

	if ((size & (size - 1)) || size < 16 || base + size > end)
		return -1;
	*next = base + size;
	put32(&d->cfg[CFG_BAR0 + 4 * b], (uint32_t)base | (d->bar[b].io ? 1 : 0));
	put32(&bus->wmask[d->slot][CFG_BAR0 + 4 * b], mask & (d->bar[b].io ? ~3u : ~15u));
	return 0;
}

static int add_msix(struct pci_device *d)
{
	int b = d->msix_bar;
	uint64_t size = msix_pba_offset(d) + 8;
	uint8_t cap[12] = { CAP_MSIX, 0 };
	uint32_t table = (uint32_t)b, pba = (uint32_t)msix_pba_offset(d) | (uint32_t)b;
	int off;

	if (d->msix_vectors > PCI_MAX_MSIX || b < 0 || b > 5)
		return -1;
	d->bar[b] = (struct pci_bar){ .size = round_pow2(size < 4096 ? 4096 : size) };
	put16(cap + 2, (uint16_t)(d->msix_vectors - 1));
	memcpy(cap + 4, &table, 4);
	memcpy(cap + 8, &pba, 4);
	off = pci__add_capability(d, cap, sizeof(cap));
	if (off < 0)
		return -1;
	d->bus->msix_cap[d->slot] = (uint8_t)off;
	d->bus->wmask[d->slot][off + 3] = (MSIX_ENABLE | MSIX_MASKALL) >> 8;
	for (int v = 0; v < d->msix_vectors; v++) {
		d->msix[v].ctrl = MSIX_VEC_MASKED;
		irq__msi_init(&d->msix_irq[v], d->bus->irq);
	}
	return 0;
}

int pci__register(struct pci_bus *bus, struct pci_device *d)
{
	int slot;

	pthread_mutex_lock(&bus->lock);
	slot = bus->nr;
	if (slot == PCI_MAX_DEVICES) {
		pthread_mutex_unlock(&bus->lock);
		return -1;
	}
	d->bus = bus;
	d->slot = slot;
	memset(d->cfg, 0, sizeof(d->cfg));
	memset(bus->wmask[slot], 0, PCI_CFG_SIZE);
	put16(&d->cfg[CFG_VENDOR], d->vendor_id);
	put16(&d->cfg[CFG_VENDOR + 2], d->device_id);
	put32(&d->cfg[CFG_REVISION], d->class_code << 8 | d->revision);
	put16(&d->cfg[CFG_SUBSYS], d->subsys_vendor_id);
	put16(&d->cfg[CFG_SUBSYS + 2], d->subsys_id);
	put16(&bus->wmask[slot][CFG_COMMAND], CMD_IO | CMD_MEM | CMD_MASTER | CMD_INTX_OFF);
	bus->wmask[slot][CFG_INT_LINE] = 0xff;
	d->cfg_used = 0x40;
	pthread_mutex_unlock(&bus->lock);

	if (d->msix_vectors && add_msix(d))
		return -1;
	pthread_mutex_lock(&bus->lock);
	for (int b = 0; b < 6; b++) {
		if (d->bar[b].size && assign_bar(d, b)) {
			pthread_mutex_unlock(&bus->lock);
			return -1;
		}
	}
	/* Decoding on, as firmware would leave it. */
	put16(&d->cfg[CFG_COMMAND], CMD_IO | CMD_MEM | CMD_MASTER);
	bus->dev[slot] = d;
	bus->nr++;
	pthread_mutex_unlock(&bus->lock);
	return slot;
}

int pci__add_capability(struct pci_device *d, const void *cap, size_t len)
{
	uint8_t off = (uint8_t)((d->cfg_used + 3) & ~3);
	uint8_t *c = d->cfg;

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return -1;
	memcpy(c + off, cap, len);
	c[off + 1] = c[CFG_CAP_PTR];     /* push on the front of the list */
	c[CFG_CAP_PTR] = off;
	c[CFG_STATUS] |= STATUS_CAP_LIST;
	d->cfg_used = (uint8_t)(off + len > 255 ? 255 : off + len);
	return off;
}
