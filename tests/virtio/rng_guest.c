/* rng.elf: virtio-rng end to end (mkvm --rng; QEMU -device
 * virtio-rng-pci,disable-legacy=on): two 64-byte requests come back full,
 * not all zero, and different from each other. */
#include <stddef.h>
#include "guest.h"
#include "vdrv.h"

static struct vdev d;
static uint8_t buf[2][64];

static void fetch(int i)
{
	uint32_t len;

	d.q[0].desc[i] = (struct virtq_desc){ (uintptr_t)buf[i], sizeof(buf[i]),
					      VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&d, 0, (uint16_t)i);
	/* A device may return fewer bytes; ask again until the buffer is full. */
	if (!vq_wait(&d, 0, NULL, &len) || len == 0 || len > sizeof(buf[i]))
		fail("virtio-rng: request failed");
	print("virtio-rng: request %d: %u bytes\n", i, len);
	if (len < sizeof(buf[i]))
		fail("virtio-rng: short answer");
}

void test_main(struct hvm_start_info *si)
{
	unsigned nonzero = 0, differ = 0;

	(void)si;
	vdev_find(&d, VIRTIO_ID_RNG, "virtio-rng");
	vdev_init(&d, 0, 1);
	fetch(0);
	fetch(1);
	for (unsigned i = 0; i < sizeof(buf[0]); i++) {
		nonzero += buf[0][i] != 0;
		differ += buf[0][i] != buf[1][i];
	}
	if (nonzero < 32 || differ < 32)
		fail("virtio-rng: the bytes do not look random");
	print("virtio-rng: %u of 64 bytes nonzero, %u differ between requests\n",
	      nonzero, differ);
	guest_exit(MKVM_TEST_PASS);
}
