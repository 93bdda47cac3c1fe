/* blk.elf: a minimal polled virtio-blk driver (modern PCI), ring 0, run on
 * mkvm (--disk) and on QEMU (-device virtio-blk-pci,disable-legacy=on), to
 * show both devices behave alike. It finds the device through the 0xCF8
 * config ports and its virtio capabilities, negotiates VERSION_1, FLUSH and
 * INDIRECT_DESC, and checks: GET_ID; a sector written and flushed (the
 * harness then checks the host file); read back, directly and through an
 * indirect table; a read past the end answered S_IOERR; on a read-only
 * disk, a write answered S_IOERR; a chain with a next index beyond the
 * queue sets DEVICE_NEEDS_RESET; after a reset the device works again. */
#include <stdbool.h>
#include <stddef.h>
#include <mkvm/virtio.h>
#include "guest.h"

#define QSIZE 8
#define TEST_SECTOR 1
#define SPIN_LIMIT 200000000ul

static const char pattern[] = "mkvm-virtio-blk-durable";

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

static void map_mmio(uint64_t addr)
{
	uint64_t *pml4 = (uint64_t *)(read_cr3() & ~0xfffull);
	uint64_t *pdpt = (uint64_t *)(pml4[0] & ~0xfffull);
	unsigned gib = (unsigned)(addr >> 30);

	if (addr >> 39)
		fail("virtio-blk: BAR above 512 GiB");
	if (pdpt[gib] & 1)
		return;
	if (mmio_pds == 8)
		fail("virtio-blk: too many MMIO windows");
	uint64_t *pd = mmio_pd[mmio_pds++];
	for (uint64_t i = 0; i < 512; i++) /* P W PWT PCD PS */
		pd[i] = ((uint64_t)gib << 30) + (i << 21) + 0x9b;
	pdpt[gib] = (uint64_t)pd | 3;
	write_cr3(read_cr3());
}

static struct dev {
	unsigned slot;
	volatile struct virtio_pci_common_cfg *common;
	volatile uint8_t *isr, *devcfg;
	volatile uint16_t *notify;
	uint64_t features;
} d;

static uint64_t bar_address(unsigned slot, unsigned bar)
{
	uint32_t lo = cfg32(slot, 0x10 + 4 * bar);
	uint64_t a = lo & ~0xfu;

	if (lo & 1)
		fail("virtio-blk: virtio structure in an I/O BAR");
	if (((lo >> 1) & 3) == 2)
		a |= (uint64_t)cfg32(slot, 0x14 + 4 * bar) << 32;
	map_mmio(a);
	return a;
}

/* Finds the first virtio-blk function on bus 0 and its structures. */
static void find_device(void)
{
	unsigned slot, notify_off_mul = 0;
	uint64_t notify_base = 0;

	const uint32_t id = (uint32_t)(VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_BLOCK) << 16 |
			    VIRTIO_PCI_VENDOR_ID;

	for (slot = 0; slot < 32; slot++)
		if (cfg32(slot, 0) == id)
			break;
	if (slot == 32)
		fail("virtio-blk: no modern virtio-blk device on bus 0");
	d.slot = slot;
	cfg32_write(slot, 4, cfg32(slot, 4) | 0x6); /* memory space, bus master */
	for (unsigned p = cfg8(slot, 0x34); p; p = cfg8(slot, p + 1)) {
		if (cfg8(slot, p) != VIRTIO_PCI_CAP_VNDR)
			continue;
		uint8_t type = cfg8(slot, p + 3);
		uint64_t base = bar_address(slot, cfg8(slot, p + 4)) + cfg32(slot, p + 8);

		if (type == VIRTIO_PCI_CAP_COMMON_CFG && !d.common)
			d.common = (void *)base;
		else if (type == VIRTIO_PCI_CAP_ISR_CFG && !d.isr)
			d.isr = (void *)base;
		else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !d.devcfg)
			d.devcfg = (void *)base;
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !notify_base) {
			notify_base = base;
			notify_off_mul = cfg32(slot, p + 16);
		}
	}
	if (!d.common || !d.isr || !d.devcfg || !notify_base)
		fail("virtio-blk: a virtio capability is missing");
	d.common->queue_select = 0;
	d.notify = (void *)(notify_base + d.common->queue_notify_off * notify_off_mul);
	print("virtio-blk: found at slot %u\n", slot);
}

/* The queue: all of it in .bss, identity-mapped. */
static struct virtq_desc desc[QSIZE] __attribute__((aligned(16)));
static struct { uint16_t flags, idx, ring[QSIZE], used_event; } avail __attribute__((aligned(2)));
static struct { uint16_t flags, idx; struct virtq_used_elem ring[QSIZE]; uint16_t avail_event; }
	used __attribute__((aligned(4)));
static struct virtq_desc itable[3] __attribute__((aligned(16)));
static struct virtio_blk_req_hdr hdr;
static uint8_t data[512], status;

static void set_status(uint8_t s)
{
	d.common->device_status = s;
}

static void driver_init(void)
{
	const uint64_t want = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_INDIRECT_DESC) |
			      (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_RO);
	uint64_t offered;

	set_status(0);
	while (d.common->device_status)
		;
	set_status(VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	d.common->device_feature_select = 0;
	offered = d.common->device_feature;
	d.common->device_feature_select = 1;
	offered |= (uint64_t)d.common->device_feature << 32;
	if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
		fail("virtio-blk: device does not offer VERSION_1");
	d.features = offered & want;
	d.common->driver_feature_select = 0;
	d.common->driver_feature = (uint32_t)d.features;
	d.common->driver_feature_select = 1;
	d.common->driver_feature = (uint32_t)(d.features >> 32);
	set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(d.common->device_status & VIRTIO_STATUS_FEATURES_OK))
		fail("virtio-blk: FEATURES_OK refused");

	d.common->queue_select = 0;
	if (d.common->queue_size < QSIZE)
		fail("virtio-blk: queue too small");
	d.common->queue_size = QSIZE;
	d.common->queue_msix_vector = VIRTIO_MSI_NO_VECTOR;
	/* 64-bit registers as two 32-bit halves, which every device takes. */
	volatile uint32_t *q = (volatile uint32_t *)&d.common->queue_desc;
	q[0] = (uint32_t)(uintptr_t)desc;   q[1] = 0;
	q[2] = (uint32_t)(uintptr_t)&avail; q[3] = 0;
	q[4] = (uint32_t)(uintptr_t)&used;  q[5] = 0;
	avail.idx = used.idx = 0;
	d.common->queue_enable = 1;
	set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

/* Makes chain 0 available, notifies, and waits for it to come back.
 * Returns false on timeout or when the device wants a reset. */
static bool submit(void)
{
	uint16_t want = avail.idx + 1;

	avail.ring[avail.idx % QSIZE] = 0;
	__atomic_store_n(&avail.idx, want, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*d.notify = 0;
	for (unsigned long i = 0; i < SPIN_LIMIT; i++) {
		if (__atomic_load_n(&used.idx, __ATOMIC_ACQUIRE) == want)
			return true;
		if (d.common->device_status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
			return false;
		__asm__ volatile("pause");
	}
	return false;
}

/* header, data (len bytes, device-writable when `in`), status */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t len, bool in)
{
	hdr = (struct virtio_blk_req_hdr){ .type = type, .sector = sector };
	status = 0xff;
	desc[0] = (struct virtq_desc){ (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1 };
	desc[1] = (struct virtq_desc){ (uintptr_t)data, len,
				       VIRTQ_DESC_F_NEXT | (in ? VIRTQ_DESC_F_WRITE : 0), 2 };
	desc[2] = (struct virtq_desc){ (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
	if (len == 0)
		desc[0].next = 2;
	if (!submit())
		fail("virtio-blk: request timed out or device broke");
	return status;
}

static bool data_is_pattern(void)
{
	for (unsigned i = 0; i < sizeof(data); i++)
		if (data[i] != (i < sizeof(pattern) ? (uint8_t)pattern[i] : (uint8_t)i))
			return false;
	return true;
}

static void check_indirect_read(void)
{
	if (!(d.features & (1ull << VIRTIO_F_INDIRECT_DESC))) {
		print("virtio-blk: INDIRECT_DESC not offered\n");
		return;
	}
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = 0;
	hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = TEST_SECTOR };
	status = 0xff;
	itable[0] = (struct virtq_desc){ (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1 };
	itable[1] = (struct virtq_desc){ (uintptr_t)data, 512,
					 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	itable[2] = (struct virtq_desc){ (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
	desc[0] = (struct virtq_desc){ (uintptr_t)itable, sizeof(itable),
				       VIRTQ_DESC_F_INDIRECT, 0 };
	if (!submit() || status != VIRTIO_BLK_S_OK || !data_is_pattern())
		fail("virtio-blk: indirect read failed");
	print("virtio-blk: read through an indirect table ok\n");
}

/* A chain whose next index is beyond the queue (QEMU flags this too; it
 * does not refuse non-RAM addresses, which it bounces). */
static void check_bad_descriptor(void)
{
	hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = 0 };
	desc[0] = (struct virtq_desc){ (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1 };
	desc[1] = (struct virtq_desc){ (uintptr_t)data, 512,
				       VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, QSIZE + 3 };
	if (submit())
		fail("virtio-blk: a chain with next out of range was accepted");
	if (!(d.common->device_status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		fail("virtio-blk: bad descriptor did not set DEVICE_NEEDS_RESET");
	print("virtio-blk: next index out of range: DEVICE_NEEDS_RESET\n");
	driver_init();
	if (request(VIRTIO_BLK_T_IN, TEST_SECTOR, 512, true) != VIRTIO_BLK_S_OK ||
	    !data_is_pattern())
		fail("virtio-blk: not usable after reset");
	print("virtio-blk: usable again after reset\n");
}

void test_main(struct hvm_start_info *si)
{
	(void)si;
	find_device();
	driver_init();
	volatile struct virtio_blk_config *cfg = (void *)d.devcfg;
	uint64_t capacity = cfg->capacity;
	bool ro = d.features & (1ull << VIRTIO_BLK_F_RO);
	print("virtio-blk: capacity %lu sectors%s\n", capacity, ro ? ", read-only" : "");
	if (capacity <= TEST_SECTOR)
		fail("virtio-blk: disk too small");

	if (request(VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true) != VIRTIO_BLK_S_OK)
		fail("virtio-blk: GET_ID failed");
	data[VIRTIO_BLK_ID_BYTES] = 0;
	print("virtio-blk: id %s\n", (const char *)data);

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = i < sizeof(pattern) ? (uint8_t)pattern[i] : (uint8_t)i;
	if (ro) {
		if (request(VIRTIO_BLK_T_OUT, TEST_SECTOR, 512, false) != VIRTIO_BLK_S_IOERR)
			fail("virtio-blk: write to a read-only disk not refused");
		print("virtio-blk: write to read-only disk: S_IOERR\n");
	} else {
		if (request(VIRTIO_BLK_T_OUT, TEST_SECTOR, 512, false) != VIRTIO_BLK_S_OK)
			fail("virtio-blk: write failed");
		if (!(d.features & (1ull << VIRTIO_BLK_F_FLUSH)) ||
		    request(VIRTIO_BLK_T_FLUSH, 0, 0, false) != VIRTIO_BLK_S_OK)
			fail("virtio-blk: flush failed");
		print("virtio-blk: sector %u written and flushed\n", TEST_SECTOR);
	}
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = 0;
	if (request(VIRTIO_BLK_T_IN, TEST_SECTOR, 512, true) != VIRTIO_BLK_S_OK)
		fail("virtio-blk: read failed");
	if (!data_is_pattern())
		fail("virtio-blk: read back differs");
	print("virtio-blk: sector %u read back ok\n", TEST_SECTOR);
	check_indirect_read();
	if (request(VIRTIO_BLK_T_IN, capacity, 512, true) != VIRTIO_BLK_S_IOERR)
		fail("virtio-blk: read past the end not refused");
	print("virtio-blk: read past the end: S_IOERR\n");
	check_bad_descriptor();
	guest_exit(MKVM_TEST_PASS);
}
