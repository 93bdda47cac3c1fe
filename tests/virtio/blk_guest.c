/* blk.elf: virtio-blk end to end, on mkvm (--disk) and QEMU
 * (-device virtio-blk-pci,disable-legacy=on). Negotiates FLUSH, RO and
 * INDIRECT_DESC and checks: GET_ID; a sector written and flushed (the
 * harness then looks for it in the host image); read back, directly and
 * through an indirect table; a read past the end answered S_IOERR; on a
 * read-only disk, a write answered S_IOERR; a chain whose next index is
 * beyond the queue sets DEVICE_NEEDS_RESET (QEMU bounces DMA to non-RAM
 * addresses instead of refusing it, so that case is left to the unit
 * tests); after a reset the device works again. */
#include <stddef.h>
#include "guest.h"
#include "vdrv.h"

#define TEST_SECTOR 1

static const char pattern[] = "mkvm-virtio-blk-durable";

static struct vdev d;
static struct virtq_desc itable[3] __attribute__((aligned(16)));
static struct virtio_blk_req_hdr hdr;
static uint8_t data[512], status;

static void init(void)
{
	vdev_init(&d, (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_BLK_F_FLUSH) |
		      (1ull << VIRTIO_BLK_F_RO), 1);
}

static bool has(unsigned feature)
{
	return d.features & (1ull << feature);
}

/* Submits chain 0 and waits; false on timeout or DEVICE_NEEDS_RESET. */
static bool submit(void)
{
	uint32_t len;

	vq_submit(&d, 0, 0);
	return vq_wait(&d, 0, NULL, &len);
}

/* header, data (len bytes, device-writable when `in`), status */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t len, bool in)
{
	struct virtq_desc *desc = d.q[0].desc;

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

static void fill_pattern(void)
{
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = i < sizeof(pattern) ? (uint8_t)pattern[i] : (uint8_t)i;
}

static bool data_is_pattern(void)
{
	for (unsigned i = 0; i < sizeof(data); i++)
		if (data[i] != (i < sizeof(pattern) ? (uint8_t)pattern[i] : (uint8_t)i))
			return false;
	return true;
}

static void clear_data(void)
{
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = 0;
}

static void check_indirect_read(void)
{
	if (!has(VIRTIO_F_INDIRECT_DESC)) {
		print("virtio-blk: INDIRECT_DESC not offered\n");
		return;
	}
	clear_data();
	hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = TEST_SECTOR };
	status = 0xff;
	itable[0] = (struct virtq_desc){ (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1 };
	itable[1] = (struct virtq_desc){ (uintptr_t)data, 512,
					 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	itable[2] = (struct virtq_desc){ (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
	d.q[0].desc[0] = (struct virtq_desc){ (uintptr_t)itable, sizeof(itable),
					      VIRTQ_DESC_F_INDIRECT, 0 };
	if (!submit() || status != VIRTIO_BLK_S_OK || !data_is_pattern())
		fail("virtio-blk: indirect read failed");
	print("virtio-blk: read through an indirect table ok\n");
}

static void check_bad_descriptor(void)
{
	struct virtq_desc *desc = d.q[0].desc;

	hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = 0 };
	desc[0] = (struct virtq_desc){ (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1 };
	desc[1] = (struct virtq_desc){ (uintptr_t)data, 512,
				       VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, VQ_SIZE + 3 };
	if (submit())
		fail("virtio-blk: a chain with next out of range was accepted");
	if (!vdev_needs_reset(&d))
		fail("virtio-blk: bad descriptor did not set DEVICE_NEEDS_RESET");
	print("virtio-blk: next index out of range: DEVICE_NEEDS_RESET\n");
	init();
	if (request(VIRTIO_BLK_T_IN, TEST_SECTOR, 512, true) != VIRTIO_BLK_S_OK ||
	    !data_is_pattern())
		fail("virtio-blk: not usable after reset");
	print("virtio-blk: usable again after reset\n");
}

void test_main(struct hvm_start_info *si)
{
	(void)si;
	vdev_find(&d, VIRTIO_ID_BLOCK, "virtio-blk");
	if (!d.devcfg)
		fail("virtio-blk: no device configuration");
	init();
	uint64_t capacity = ((volatile struct virtio_blk_config *)d.devcfg)->capacity;
	bool ro = has(VIRTIO_BLK_F_RO);
	print("virtio-blk: capacity %lu sectors%s\n", capacity, ro ? ", read-only" : "");
	if (capacity <= TEST_SECTOR)
		fail("virtio-blk: disk too small");

	if (request(VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true) != VIRTIO_BLK_S_OK)
		fail("virtio-blk: GET_ID failed");
	data[VIRTIO_BLK_ID_BYTES] = 0;
	print("virtio-blk: id %s\n", (const char *)data);

	fill_pattern();
	if (ro) {
		if (request(VIRTIO_BLK_T_OUT, TEST_SECTOR, 512, false) != VIRTIO_BLK_S_IOERR)
			fail("virtio-blk: write to a read-only disk not refused");
		print("virtio-blk: write to read-only disk: S_IOERR\n");
	} else {
		if (request(VIRTIO_BLK_T_OUT, TEST_SECTOR, 512, false) != VIRTIO_BLK_S_OK)
			fail("virtio-blk: write failed");
		if (!has(VIRTIO_BLK_F_FLUSH) ||
		    request(VIRTIO_BLK_T_FLUSH, 0, 0, false) != VIRTIO_BLK_S_OK)
			fail("virtio-blk: flush failed");
		print("virtio-blk: sector %u written and flushed\n", TEST_SECTOR);
	}
	clear_data();
	if (request(VIRTIO_BLK_T_IN, TEST_SECTOR, 512, true) != VIRTIO_BLK_S_OK ||
	    !data_is_pattern())
		fail("virtio-blk: read back differs");
	print("virtio-blk: sector %u read back ok\n", TEST_SECTOR);
	check_indirect_read();
	if (request(VIRTIO_BLK_T_IN, capacity, 512, true) != VIRTIO_BLK_S_IOERR)
		fail("virtio-blk: read past the end not refused");
	print("virtio-blk: read past the end: S_IOERR\n");
	check_bad_descriptor();
	guest_exit(MKVM_TEST_PASS);
}
