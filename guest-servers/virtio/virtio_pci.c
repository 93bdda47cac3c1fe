/* The virtio-pci transport for user-level drivers (virtio 1.x, 4.1). */
#include "virtio_pci.h"

#define barrier() __asm__ volatile("" ::: "memory")

static uint8_t cfg8(struct vpci_dev *d, unsigned off) { return *(volatile uint8_t *)(d->cfg + off); }
static uint32_t cfg32(struct vpci_dev *d, unsigned off) { return *(volatile uint32_t *)(d->cfg + off); }

/* Maps every page of [addr, addr + len) of device memory (sigma0, 1:1). */
static int map_range(uint64_t addr, uint64_t len)
{
	for (uint64_t p = addr & ~0xfffull; p < addr + len; p += 4096)
		if (sigma0_request(L4_FPAGE(p, 12, L4_R | L4_W)))
			return -1;
	return 0;
}

static uint64_t bar_address(struct vpci_dev *d, unsigned bar)
{
	uint32_t lo = cfg32(d, 0x10 + 4 * bar);
	if (bar > 5 || (lo & 1))
		return 0;                               /* no such BAR, or I/O space */
	uint64_t a = lo & ~0xfull;
	if (((lo >> 1) & 3) == 2 && bar < 5)
		a |= (uint64_t)cfg32(d, 0x14 + 4 * bar) << 32;
	return a;
}

/* The mapped address of a structure at `off` in BAR `bar`, or 0. */
static uint64_t bar_map(struct vpci_dev *d, unsigned bar, uint32_t off, uint32_t len)
{
	uint64_t a = bar_address(d, bar);
	if (!a || map_range(a + off, len ? len : 1))
		return 0;
	return a + off;
}

int vpci_find(struct vpci_dev *d, uint64_t ecam, uint16_t virtio_id)
{
	const uint32_t id = (uint32_t)(VIRTIO_PCI_DEVICE_ID_BASE + virtio_id) << 16 | VIRTIO_PCI_VENDOR_ID;
	memset(d, 0, sizeof(*d));
	/* bus 0: 32 devices of 32 KiB of configuration space each */
	if (!ecam || sigma0_request(L4_FPAGE(ecam, 20, L4_R | L4_W))) {
		printf("virtio: no PCI ECAM to scan\n");
		return -1;
	}
	for (uint64_t dev = 0; dev < 32 && !d->cfg; dev++)
		if (*(volatile uint32_t *)(ecam + (dev << 15)) == id)
			d->cfg = ecam + (dev << 15);
	if (!d->cfg) {
		printf("virtio: no modern device with virtio id %u on bus 0\n", virtio_id);
		return -1;
	}
	if (!(cfg32(d, 4) >> 16 & 0x10)) {
		printf("virtio: device has no capability list\n");
		return -1;
	}
	for (unsigned p = cfg8(d, 0x34) & ~3u; p; p = cfg8(d, p + 1) & ~3u) {
		if (cfg8(d, p) == 0x11 && !d->msix_cap) {       /* MSI-X */
			uint32_t table = cfg32(d, p + 4);
			unsigned n = (cfg32(d, p) >> 16 & 0x7ff) + 1;
			d->msix_cap = p;
			d->msix_table = (volatile uint32_t *)bar_map(d, table & 7, table & ~7u, 16 * n);
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
	*(volatile uint16_t *)(d->cfg + 4) = (uint16_t)(cfg32(d, 4) | 0x406);
	return 0;
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

/* Programs MSI-X table entry `vector` and enables MSI-X (function unmasked). */
int vpci_msix_route(struct vpci_dev *d, unsigned vector, uint64_t addr, uint32_t data)
{
	if (!d->msix_cap || !d->msix_table || vector > (cfg32(d, d->msix_cap) >> 16 & 0x7ff)) {
		printf("virtio: no MSI-X vector %u\n", vector);
		return -1;
	}
	volatile uint32_t *e = d->msix_table + 4 * vector;
	e[3] = 1;                                       /* masked while it changes */
	e[0] = (uint32_t)addr;
	e[1] = (uint32_t)(addr >> 32);
	e[2] = data;
	e[3] = 0;
	volatile uint16_t *ctl = (volatile uint16_t *)(d->cfg + d->msix_cap + 2);
	*ctl = (uint16_t)((*ctl | 0x8000) & ~0x4000);   /* enable, function mask off */
	return 0;
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
	uint64_t page = sigma0_alloc();                 /* mapped 1:1: virtual = DMA address */
	if (!page) {
		printf("virtio: no memory for queue %u\n", index);
		return -1;
	}
	memset((void *)page, 0, 4096);
	q->index = index;
	q->size = max < VPCI_QSIZE ? max : VPCI_QSIZE;  /* sizes are powers of 2 (2.6) */
	q->desc = (struct virtq_desc *)page;
	q->avail = (volatile struct virtq_avail *)(page + 256);
	q->used = (volatile struct virtq_used *)(page + 512);
	q->last_used = 0;
	c->queue_size = q->size;
	c->queue_msix_vector = vector;
	if (c->queue_msix_vector != vector) {
		printf("virtio: queue %u refused MSI-X vector %u\n", index, vector);
		return -1;
	}
	c->queue_desc = page;
	c->queue_driver = page + 256;
	c->queue_device = page + 512;
	uint64_t n = d->notify_base + (uint64_t)c->queue_notify_off * d->notify_mul;
	if (map_range(n, 2)) {
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

void vpci_queue_post(struct vpci_queue *q, const struct virtq_desc *chain, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		q->desc[i] = chain[i];
		q->desc[i].flags = (uint16_t)(chain[i].flags | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		q->desc[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
	}
	uint16_t idx = q->avail->idx;
	q->avail->ring[idx % q->size] = 0;
	barrier();                                      /* descriptors before the index (2.7.13) */
	q->avail->idx = (uint16_t)(idx + 1);
	barrier();
	*q->notify = q->index;
}

bool vpci_queue_used(struct vpci_queue *q, uint32_t *len)
{
	if (q->used->idx == q->last_used)
		return false;
	barrier();
	*len = q->used->ring[q->last_used % q->size].len;
	q->last_used++;
	return true;
}
