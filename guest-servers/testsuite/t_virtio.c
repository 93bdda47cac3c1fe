/* Tests of the virtio driver servers (guest-servers/virtio/) through their
 * IPC protocols; each skips where its device is absent. */
#include <mkvm/blk.h>
#include <mkvm/pci.h>
#include <mkvm/rng.h>
#include <mkvm/virtio.h>
#include "suite.h"

/* Does the PCI bus server list a modern virtio device of this type? */
bool virtio_present(uint16_t virtio_id)
{
	uint64_t *mr = l4_utcb()->mr, bus = pci_bus();
	const uint64_t id = (uint64_t)(VIRTIO_PCI_DEVICE_ID_BASE + virtio_id) << 16 | VIRTIO_PCI_VENDOR_ID;
	for (uint64_t i = 0; bus; i++) {
		mr[0] = L4_TAG(MKVM_PCI_INFO, 1, 0);
		mr[1] = i;
		if (l4_ipc(bus, bus, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL) ||
		    L4_TAG_LABEL(mr[0]) != MKVM_PCI_OK)
			return false;
		if (mr[2] == id)
			return true;
	}
	return false;
}

/* A request with an unknown label; the error, or 0 with the reply in mr[]. */
static int rng_call(uint64_t srv, uint64_t label, uint64_t n)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(label, 1, 0);
	mr[1] = n;
	return l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
}

void t_virtio_rng(void)
{
	static uint64_t srv;
	uint64_t *mr = l4_utcb()->mr;
	if (!virtio_present(VIRTIO_ID_RNG)) {
		test_skip("no modern virtio-rng on PCI bus 0 (QEMU: -device virtio-rng-pci,disable-legacy=on)");
		return;
	}
	if (!srv)
		srv = name_lookup("virtio-rng", SERVER_TIMEOUT_US);
	EXPECT(srv, "cannot start the virtio-rng server");
	uint8_t got[2][64];
	for (int i = 0; i < 2; i++) {
		int err = rng_read(srv, sizeof(got[i]));
		EXPECT(!err, "read %d: IPC error %x", i, (uint64_t)err);
		EXPECT(L4_TAG_LABEL(mr[0]) == MKVM_RNG_OK, "read %d: error reply %x (code %lu)", i,
		       L4_TAG_LABEL(mr[0]), mr[1]);
		uint64_t n = mr[1];
		EXPECT(n >= 1 && n <= sizeof(got[i]) && L4_TAG_U(mr[0]) == 1 + (n + 7) / 8,
		       "read %d: %lu bytes in %lu words", i, n, L4_TAG_U(mr[0]));
		EXPECT(n >= 16, "read %d: only %lu bytes", i, n);
		memcpy(got[i], &mr[2], 16);
		bool varied = false;
		for (int k = 1; k < 16; k++)
			varied |= got[i][k] != got[i][0];
		EXPECT(varied, "read %d: 16 equal bytes %x", i, got[i][0]);
	}
	EXPECT(memcmp(got[0], got[1], 16), "two reads gave the same 16 bytes");
	int err = rng_read(srv, MKVM_RNG_MAX + 1);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_RNG_ERROR && mr[1] == MKVM_RNG_EINVAL,
	       "oversized read: error %x, label %x, code %lu", (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	err = rng_call(srv, MKVM_RNG_READ + 7, 8);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_RNG_ERROR && mr[1] == MKVM_RNG_EINVAL,
	       "unknown request: error %x, label %x", (uint64_t)err, L4_TAG_LABEL(mr[0]));
	printf("virtio-rng: %02x%02x%02x%02x... from server %lx\n", got[0][0], got[0][1], got[0][2], got[0][3], srv);
}

#define BLK_OK(err, mr) (!(err) && L4_TAG_LABEL((mr)[0]) == MKVM_BLK_OK)

void t_virtio_blk(void)
{
	static uint64_t srv;
	static uint8_t buf[4096] __attribute__((aligned(4096)));
	uint64_t *mr = l4_utcb()->mr;
	if (!virtio_present(VIRTIO_ID_BLOCK)) {
		test_skip("no modern virtio-blk on PCI bus 0 (QEMU: -device virtio-blk-pci,disable-legacy=on)");
		return;
	}
	if (!srv)
		srv = name_lookup("virtio-blk", SERVER_TIMEOUT_US);
	EXPECT(srv, "cannot start the virtio-blk server");
	int err = blk_request(srv, MKVM_BLK_READ, 0, 1);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_BLK_ERROR && mr[1] == MKVM_BLK_ENOBUF,
	       "read before setbuf: error %x, label %x", (uint64_t)err, L4_TAG_LABEL(mr[0]));
	memset(buf, 0, sizeof(buf));    /* only a page we have can be mapped on */
	err = blk_setbuf(srv, (uint64_t)buf);
	EXPECT(BLK_OK(err, mr), "setbuf: error %x, label %x, code %lu", (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	uint64_t capacity = mr[1];
	EXPECT(capacity >= 4, "capacity %lu sectors", capacity);
	EXPECT(!(mr[2] & MKVM_BLK_READONLY), "the disk is read-only");
	/* a pattern no earlier run can have left: the time stamp in every word */
	uint64_t stamp = rdtsc(), sector = 2, *words = (uint64_t *)buf;
	const int nwords = 2 * VIRTIO_BLK_SECTOR_SIZE / 8;
	for (int i = 0; i < nwords; i++)
		words[i] = stamp + (uint64_t)i;
	err = blk_request(srv, MKVM_BLK_WRITE, sector, 2);
	EXPECT(BLK_OK(err, mr), "write: error %x, label %x, code %lu", (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	err = blk_request(srv, MKVM_BLK_FLUSH, 0, 0);
	EXPECT(BLK_OK(err, mr), "flush: error %x, label %x, code %lu", (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	memset(buf, 0, sizeof(buf));
	err = blk_request(srv, MKVM_BLK_READ, sector, 2);
	EXPECT(BLK_OK(err, mr), "read: error %x, label %x, code %lu", (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	for (int i = 0; i < nwords; i++)
		EXPECT(words[i] == stamp + (uint64_t)i, "read back word %d: %lx, wrote %lx",
		       (uint64_t)i, words[i], stamp + (uint64_t)i);
	err = blk_request(srv, MKVM_BLK_READ, capacity - 1, 2);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_BLK_ERROR && mr[1] == MKVM_BLK_EINVAL,
	       "read past the end: error %x, label %x, code %lu", (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	err = blk_request(srv, MKVM_BLK_WRITE, 0, MKVM_BLK_MAX_SECTORS + 1);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_BLK_ERROR && mr[1] == MKVM_BLK_EINVAL,
	       "oversized write: error %x, label %x, code %lu", (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	printf("virtio-blk: sectors %lu..%lu written, flushed, read back (%lu sectors)\n", sector, sector + 1, capacity);
	/* for a harness that can read the image (tests/platforms/l1/init) */
	printf("blkstamp: sector=%lu count=2 stamp=%lx\n", sector, stamp);
}
