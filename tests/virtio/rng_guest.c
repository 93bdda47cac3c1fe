/* rng.elf: virtio-rng end to end (mkvm --rng; QEMU -device
 * virtio-rng-pci,disable-legacy=on): two 64-byte requests come back full,
 * not all zero, and different from each other. With "notify-loop=N" on the
 * command line it then makes N more requests quietly, so that the harness
 * can count the vCPU's exits: with ioeventfd, notifications cause none. */
#include <stddef.h>
#include "guest.h"
#include "vdrv.h"

static struct vdev d;
static uint8_t buf[2][64];

static unsigned long cmdline_number(const char *s, const char *key)
{
	for (; s && *s; s++) {
		const char *a = s, *b = key;
		while (*b && *a == *b)
			a++, b++;
		if (*b)
			continue;
		unsigned long v = 0;
		while (*a >= '0' && *a <= '9')
			v = v * 10 + (unsigned long)(*a++ - '0');
		return v;
	}
	return 0;
}

static bool request(int i)
{
	uint32_t len;

	d.q[0].desc[i] = (struct virtq_desc){ (uintptr_t)buf[i], sizeof(buf[i]),
					      VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&d, 0, (uint16_t)i);
	return vq_wait(&d, 0, NULL, &len) && len == sizeof(buf[i]);
}

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
	unsigned long n = cmdline_number((const char *)(uintptr_t)si->cmdline_paddr,
					 "notify-loop=");
	for (unsigned long k = 0; k < n; k++)
		if (!request(0))
			fail("virtio-rng: request in the loop failed");
	if (n)
		print("virtio-rng: %lu more requests done\n", n);
	guest_exit(MKVM_TEST_PASS);
}
