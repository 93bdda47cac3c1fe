/* The virtio-pci transport for user-level drivers (virtio 1.x, 4.1). */
#include <mkvm/pci.h>
#include "virtio_pci.h"

#define barrier() __asm__ volatile("" ::: "memory")

static uint8_t cfg8(struct vpci_dev *d, unsigned off) { return *(volatile uint8_t *)(d->cfg + off); }
static uint32_t cfg32(struct vpci_dev *d, unsigned off) { return *(volatile uint32_t *)(d->cfg + off); }

/* One call to the bus server with the whole address space as the window
 * for its map items (they land at their physical addresses); 0 or -1. */
static int bus_call(uint64_t bus, uint64_t *mr)
{
	l4_utcb()->acceptor = L4_COMPLETE;
	int err = l4_call(bus);
	l4_utcb()->acceptor = 0;
	if (err || L4_TAG_LABEL(mr[0]) != MKVM_PCI_OK) {
		printf("virtio: the PCI bus server refused (IPC error %d, code %lu)\n", err, err ? 0 : mr[1]);
		return -1;
	}
	return 0;
}

/* Has the bus server map every page of [addr, addr + len) of device
 * memory, which must lie in one memory BAR. */
static int map_range(struct vpci_dev *d, uint64_t addr, uint64_t len)
{
	uint64_t *mr = l4_utcb()->mr;
	for (unsigned bar = 0; bar < 6; bar++) {
		uint64_t base = d->bar[bar];
		if ((base & 1) || addr < base || addr - base >= d->bar_size[bar] ||
		    len > d->bar_size[bar] - (addr - base))
			continue;
		for (uint64_t off = (addr - base) & ~0xfffull; off < addr - base + len; off += 4096) {
			mr[0] = L4_TAG(MKVM_PCI_MAP, 3, 0);
			mr[1] = d->handle;
			mr[2] = bar;
			mr[3] = off;
			if (bus_call(d->bus, mr))
				return -1;
		}
		return 0;
	}
	printf("virtio: %lx+%lx is in no memory BAR\n", addr, len);
	return -1;
}

/* The mapped address of a structure at `off` in BAR `bar`, or 0. */
static uint64_t bar_map(struct vpci_dev *d, unsigned bar, uint32_t off, uint32_t len)
{
	if (bar > 5 || !d->bar_size[bar] || (d->bar[bar] & 1) || map_range(d, d->bar[bar] + off, len ? len : 1))
		return 0;
	return d->bar[bar] + off;
}

void *vpci_dma_page(void)
{
	uint64_t pa;
	return dma_alloc(&pa);
}

int vpci_find(struct vpci_dev *d, uint64_t bus, uint16_t virtio_id)
{
	uint64_t *mr = l4_utcb()->mr;
	memset(d, 0, sizeof(*d));
	d->bus = bus;
	mr[0] = L4_TAG(MKVM_PCI_CLAIM, 2, 0);
	mr[1] = (uint64_t)(VIRTIO_PCI_DEVICE_ID_BASE + virtio_id) << 16 | VIRTIO_PCI_VENDOR_ID;
	mr[2] = MKVM_PCI_ANY_CLASS;
	if (bus_call(bus, mr) || L4_TAG_U(mr[0]) != MKVM_PCI_INFO_WORDS || L4_TAG_T(mr[0]) != 2) {
		printf("virtio: no modern device with virtio id %u to claim\n", virtio_id);
		return -1;
	}
	d->handle = mr[1];
	d->bdf = mr[2];
	for (unsigned i = 0; i < 6; i++) {
		d->bar[i] = mr[5 + 2 * i];
		d->bar_size[i] = mr[6 + 2 * i];
	}
	d->cfg = mr[17] & ~0xfffull;            /* the configuration page's map item */
	if (!(cfg32(d, 4) >> 16 & 0x10)) {
		printf("virtio: device has no capability list\n");
		return -1;
	}
	for (unsigned p = cfg8(d, 0x34) & ~3u; p; p = cfg8(d, p + 1) & ~3u) {
		if (cfg8(d, p) == 0x11 && !d->msix_cap) {       /* MSI-X: the bus server programs it */
			d->msix_cap = p;
			continue;
		}
		if (cfg8(d, p) != VIRTIO_PCI_CAP_VNDR)
			continue;
		uint8_t type = cfg8(d, p + 3), bar = cfg8(d, p + 4);
		uint32_t off = cfg32(d, p + 8), len = cfg32(d, p + 12);
		/* the first capability of each type is the one to use (4.1.4.1) */
		if (type == VIRTIO_PCI_CAP_COMMON_CFG && !d->common)
			d->common = (void *)bar_map(d, bar, off, len);
		else if (type == VIRTIO_PCI_CAP_ISR_CFG && !d->isr)
			d->isr = (void *)bar_map(d, bar, off, len);
		else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !d->devcfg)
			d->devcfg = (void *)bar_map(d, bar, off, len);
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !d->notify_base) {
			d->notify_base = bar_map(d, bar, off, len);
			d->notify_mul = cfg32(d, p + 16);
		}
	}
	if (!d->common || !d->isr || !d->notify_base) {
		printf("virtio: a virtio capability is missing or its BAR cannot be mapped\n");
		return -1;
	}
	/* memory space and bus mastering (DMA), legacy INTx off */
	mr[0] = L4_TAG(MKVM_PCI_ENABLE, 1, 0);
	mr[1] = d->handle;
	return bus_call(d->bus, mr);
}

int vpci_negotiate(struct vpci_dev *d, uint64_t want)
{
	volatile struct virtio_pci_common_cfg *c = d->common;
	c->device_status = 0;                           /* reset (4.1.4.3.1: reads 0 when done) */
	for (int i = 0; c->device_status; i++)
		if (i > 1000000) {
			printf("virtio: device does not reset\n");
			return -1;
		}
	c->device_status = VIRTIO_STATUS_ACKNOWLEDGE;
	c->device_status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	c->device_feature_select = 0;
	uint64_t offered = c->device_feature;
	c->device_feature_select = 1;
	offered |= (uint64_t)c->device_feature << 32;
	if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
		printf("virtio: device does not offer VIRTIO_F_VERSION_1\n");
		return -1;
	}
	d->features = offered & (want | (1ull << VIRTIO_F_VERSION_1));
	c->driver_feature_select = 0;
	c->driver_feature = (uint32_t)d->features;
	c->driver_feature_select = 1;
	c->driver_feature = (uint32_t)(d->features >> 32);
	c->device_status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	if (!(c->device_status & VIRTIO_STATUS_FEATURES_OK)) {
		printf("virtio: device refused features %lx\n", d->features);
		c->device_status = VIRTIO_STATUS_FAILED;
		return -1;
	}
	c->msix_config = VIRTIO_MSI_NO_VECTOR;          /* no configuration-change interrupts */
	return 0;
}

/* Has the bus server route MSI-X table entry `vector` to this program's
 * MSI line and enable MSI-X (shared/mkvm/pci.h, MKVM_PCI_MSIX_ROUTE). */
int vpci_msix_route(struct vpci_dev *d, unsigned vector)
{
	uint64_t *mr = l4_utcb()->mr;
	if (!d->msix_cap || vector > (cfg32(d, d->msix_cap) >> 16 & 0x7ff)) {
		printf("virtio: no MSI-X vector %u\n", vector);
		return -1;
	}
	mr[0] = L4_TAG(MKVM_PCI_MSIX_ROUTE, 2, 0);
	mr[1] = d->handle;
	mr[2] = vector;
	return bus_call(d->bus, mr);
}

int vpci_queue_setup(struct vpci_dev *d, struct vpci_queue *q, uint16_t index, uint16_t vector)
{
	volatile struct virtio_pci_common_cfg *c = d->common;
	c->queue_select = index;
	uint16_t max = c->queue_size;
	if (!max) {
		printf("virtio: queue %u does not exist\n", index);
		return -1;
	}
	uint8_t *page = vpci_dma_page();
	if (!page) {
		printf("virtio: no memory for queue %u\n", index);
		return -1;
	}
	memset((void *)page, 0, 4096);
	q->index = index;
	q->size = max < VPCI_QSIZE ? max : VPCI_QSIZE;  /* sizes are powers of 2 (2.6) */
	q->desc = (struct virtq_desc *)page;
	uint64_t pa = vpci_dma(page);
	q->avail = (volatile struct virtq_avail *)(page + 256);
	q->used = (volatile struct virtq_used *)(page + 512);
	q->last_used = 0;
	c->queue_size = q->size;
	c->queue_msix_vector = vector;
	if (c->queue_msix_vector != vector) {
		printf("virtio: queue %u refused MSI-X vector %u\n", index, vector);
		return -1;
	}
	c->queue_desc = pa;
	c->queue_driver = pa + 256;
	c->queue_device = pa + 512;
	uint64_t n = d->notify_base + (uint64_t)c->queue_notify_off * d->notify_mul;
	if (map_range(d, n, 2)) {
		printf("virtio: cannot map queue %u's notify address\n", index);
		return -1;
	}
	q->notify = (volatile uint16_t *)n;
	c->queue_enable = 1;
	return 0;
}

void vpci_driver_ok(struct vpci_dev *d)
{
	d->common->device_status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
}

void vpci_queue_put(struct vpci_queue *q, uint16_t head, const struct virtq_desc *chain, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned k = head + i;
		q->desc[k] = chain[i];
		q->desc[k].flags = (uint16_t)(chain[i].flags | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		q->desc[k].next = (uint16_t)(i + 1 < n ? k + 1 : 0);
	}
	uint16_t idx = q->avail->idx;
	q->avail->ring[idx % q->size] = head;
	barrier();                                      /* descriptors before the index (2.7.13) */
	q->avail->idx = (uint16_t)(idx + 1);
	barrier();
	*q->notify = q->index;
}

void vpci_queue_post(struct vpci_queue *q, const struct virtq_desc *chain, unsigned n)
{
	vpci_queue_put(q, 0, chain, n);
}

bool vpci_queue_take(struct vpci_queue *q, uint16_t *head, uint32_t *len)
{
	if (q->used->idx == q->last_used)
		return false;
	barrier();                                      /* the index before the entry */
	*head = (uint16_t)q->used->ring[q->last_used % q->size].id;
	*len = q->used->ring[q->last_used % q->size].len;
	q->last_used++;
	return true;
}

bool vpci_queue_used(struct vpci_queue *q, uint32_t *len)
{
	uint16_t head;
	return vpci_queue_take(q, &head, len);
}
