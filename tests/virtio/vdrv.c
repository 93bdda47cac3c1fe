/* See vdrv.h. Written from the virtio 1.1 specification, 4.1 and 2.6. */
#include "guest.h"
#include "vdrv.h"

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint32_t cfg32(unsigned slot, unsigned off)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	return inl(0xcfc);
}

static uint8_t cfg8(unsigned slot, unsigned off)
{
	return (uint8_t)(cfg32(slot, off) >> (8 * (off & 3)));
}

static void cfg32_write(unsigned slot, unsigned off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

/* MMIO above the boot identity map (1 GiB): map the GiB holding addr with
 * uncached 2 MiB pages in the PDPT that boot.S built. */
static uint64_t mmio_pd[8][512] __attribute__((aligned(4096)));
static int mmio_pds;

void vdrv_map_mmio(uint64_t addr)
{
	uint64_t *pml4 = (uint64_t *)(read_cr3() & ~0xfffull);
	uint64_t *pdpt = (uint64_t *)(pml4[0] & ~0xfffull);
	unsigned gib = (unsigned)(addr >> 30);

	if (addr >> 39)
		fail("vdrv: BAR above 512 GiB");
	if (pdpt[gib] & 1)
		return;
	if (mmio_pds == 8)
		fail("vdrv: too many MMIO windows");
	uint64_t *pd = mmio_pd[mmio_pds++];
	for (uint64_t i = 0; i < 512; i++) /* P W PWT PCD PS */
		pd[i] = ((uint64_t)gib << 30) + (i << 21) + 0x9b;
	pdpt[gib] = (uint64_t)pd | 3;
	write_cr3(read_cr3());
}

static uint64_t bar_address(unsigned slot, unsigned bar)
{
	uint32_t lo = cfg32(slot, 0x10 + 4 * bar);
	uint64_t a = lo & ~0xfu;

	if (lo & 1)
		fail("vdrv: virtio structure in an I/O BAR");
	if (((lo >> 1) & 3) == 2)
		a |= (uint64_t)cfg32(slot, 0x14 + 4 * bar) << 32;
	vdrv_map_mmio(a);
	return a;
}

void vdev_find(struct vdev *d, uint16_t virtio_id, const char *name)
{
	const uint32_t id = (uint32_t)(VIRTIO_PCI_DEVICE_ID_BASE + virtio_id) << 16 |
			    VIRTIO_PCI_VENDOR_ID;
	unsigned slot;

	d->name = name;
	for (slot = 0; slot < 32; slot++)
		if (cfg32(slot, 0) == id)
			break;
	if (slot == 32) {
		print("%s: no modern device with virtio id %u on bus 0\n", name, virtio_id);
		guest_exit(MKVM_TEST_FAIL);
	}
	d->slot = slot;
	cfg32_write(slot, 4, cfg32(slot, 4) | 0x6); /* memory space, bus master */
	for (unsigned p = cfg8(slot, 0x34); p; p = cfg8(slot, p + 1)) {
		if (cfg8(slot, p) != VIRTIO_PCI_CAP_VNDR)
			continue;
		uint8_t type = cfg8(slot, p + 3);
		uint64_t base = bar_address(slot, cfg8(slot, p + 4)) + cfg32(slot, p + 8);

		/* The first of each type is the one to use (4.1.4.1). */
		if (type == VIRTIO_PCI_CAP_COMMON_CFG && !d->common)
			d->common = (void *)base;
		else if (type == VIRTIO_PCI_CAP_ISR_CFG && !d->isr)
			d->isr = (void *)base;
		else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !d->devcfg)
			d->devcfg = (void *)base;
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !d->notify_base) {
			d->notify_base = base;
			d->notify_mul = cfg32(slot, p + 16);
		}
	}
	if (!d->common || !d->isr || !d->notify_base)
		fail("vdrv: a virtio capability is missing");
	print("%s: found at slot %u\n", name, slot);
}

static void cfg16_write(unsigned slot, unsigned off, uint16_t v)
{
	uint32_t w = cfg32(slot, off & ~3u);
	unsigned shift = 8 * (off & 2);

	w = (w & ~(0xffffu << shift)) | (uint32_t)v << shift;
	cfg32_write(slot, off & ~3u, w);
}

unsigned vdrv_msix_find(struct vdev *d, struct vdrv_msix *m)
{
	for (unsigned p = cfg8(d->slot, 0x34); p; p = cfg8(d->slot, p + 1)) {
		if (cfg8(d->slot, p) != 0x11)
			continue;
		uint32_t table = cfg32(d->slot, p + 4), pba = cfg32(d->slot, p + 8);
		m->cap = p;
		m->vectors = (cfg32(d->slot, p) >> 16 & 0x7ff) + 1;
		m->table = (volatile uint32_t *)(bar_address(d->slot, table & 7) + (table & ~7u));
		m->pba = (volatile uint64_t *)(bar_address(d->slot, pba & 7) + (pba & ~7u));
		return m->vectors;
	}
	return 0;
}

void vdrv_msix_set(struct vdrv_msix *m, unsigned v, uint64_t addr, uint32_t data,
		   bool masked)
{
	volatile uint32_t *e = m->table + 4 * v;

	e[3] = 1; /* mask while changing it */
	e[0] = (uint32_t)addr;
	e[1] = (uint32_t)(addr >> 32);
	e[2] = data;
	e[3] = masked;
}

void vdrv_msix_enable(struct vdev *d, struct vdrv_msix *m)
{
	uint16_t ctl = (uint16_t)(cfg32(d->slot, m->cap) >> 16);

	cfg16_write(d->slot, m->cap + 2, (uint16_t)((ctl | 0x8000) & ~0x4000));
}

bool vdrv_msix_pending(struct vdrv_msix *m, unsigned v)
{
	return m->pba[v / 64] >> (v % 64) & 1;
}

/* Queue memory for every device a guest drives (one at a time). */
static struct virtq_desc qdesc[VDEV_MAX_QUEUES][VQ_SIZE] __attribute__((aligned(16)));
static struct vq_avail qavail[VDEV_MAX_QUEUES] __attribute__((aligned(2)));
static struct vq_used qused[VDEV_MAX_QUEUES] __attribute__((aligned(4)));

static void set_status(struct vdev *d, uint8_t s)
{
	d->common->device_status = s;
}

static void setup_queue(struct vdev *d, int i)
{
	struct vq *q = &d->q[i];
	volatile uint32_t *r;

	d->common->queue_select = (uint16_t)i;
	if (d->common->queue_size < VQ_SIZE)
		fail("vdrv: queue too small");
	d->common->queue_size = VQ_SIZE;
	d->common->queue_msix_vector = VIRTIO_MSI_NO_VECTOR;
	q->desc = qdesc[i];
	q->avail = &qavail[i];
	q->used = &qused[i];
	q->avail->idx = q->used->idx = 0;
	q->last_used = 0;
	/* 64-bit registers as two 32-bit halves, which every device takes. */
	r = (volatile uint32_t *)&d->common->queue_desc;
	r[0] = (uint32_t)(uintptr_t)q->desc;  r[1] = 0;
	r[2] = (uint32_t)(uintptr_t)q->avail; r[3] = 0;
	r[4] = (uint32_t)(uintptr_t)q->used;  r[5] = 0;
	q->notify = (volatile uint16_t *)(d->notify_base +
					  d->common->queue_notify_off * d->notify_mul);
	d->common->queue_enable = 1;
}

void vdev_init(struct vdev *d, uint64_t want, int nq)
{
	uint64_t offered;

	set_status(d, 0);
	while (d->common->device_status)
		;
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	d->common->device_feature_select = 0;
	offered = d->common->device_feature;
	d->common->device_feature_select = 1;
	offered |= (uint64_t)d->common->device_feature << 32;
	if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
		fail("vdrv: device does not offer VERSION_1");
	d->features = offered & (want | (1ull << VIRTIO_F_VERSION_1));
	d->common->driver_feature_select = 0;
	d->common->driver_feature = (uint32_t)d->features;
	d->common->driver_feature_select = 1;
	d->common->driver_feature = (uint32_t)(d->features >> 32);
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		   VIRTIO_STATUS_FEATURES_OK);
	if (!(d->common->device_status & VIRTIO_STATUS_FEATURES_OK))
		fail("vdrv: FEATURES_OK refused");
	if (nq > VDEV_MAX_QUEUES || nq > d->common->num_queues)
		fail("vdrv: not enough queues");
	d->nq = nq;
	for (int i = 0; i < nq; i++)
		setup_queue(d, i);
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

bool vdev_needs_reset(struct vdev *d)
{
	return d->common->device_status & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
}

void vq_submit(struct vdev *d, int i, uint16_t head)
{
	struct vq *q = &d->q[i];
	uint16_t idx = q->avail->idx;

	q->avail->ring[idx % VQ_SIZE] = head;
	__atomic_store_n(&q->avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*q->notify = (uint16_t)i;
}

bool vq_wait(struct vdev *d, int i, uint16_t *id, uint32_t *len)
{
	struct vq *q = &d->q[i];

	uint64_t start = vdrv_tsc();

	for (unsigned long n = 0; vdrv_tsc() - start < VDRV_TIMEOUT_CYCLES; n++) {
		if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used) {
			struct virtq_used_elem *e = &q->used->ring[q->last_used % VQ_SIZE];

			if (id)
				*id = (uint16_t)e->id;
			*len = e->len;
			q->last_used++;
			return true;
		}
		/* Reading the status register exits to the VMM: not every spin. */
		if (n % 4096 == 4095 && vdev_needs_reset(d))
			return false;
		__asm__ volatile("pause");
	}
	return false;
}

bool vdrv_cmdline_has(const struct hvm_start_info *si, const char *w)
{
	for (const char *s = (const char *)(uintptr_t)si->cmdline_paddr; s && *s; s++) {
		const char *a = s, *b = w;
		while (*b && *a == *b)
			a++, b++;
		if (!*b)
			return true;
	}
	return false;
}
