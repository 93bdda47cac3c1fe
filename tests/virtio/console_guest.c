/* console.elf: virtio-console end to end (mkvm --console; QEMU
 * -device virtio-serial-pci + virtconsole): a line sent on the transmit
 * queue reaches the host side of the console; with "expect-input" on the
 * command line, a line typed on the host side must arrive in the receive
 * queue. */
#include <stddef.h>
#include "guest.h"
#include "vdrv.h"

#define RX 0
#define TX 1

static struct vdev d;
static const char hello[] = "virtio-console: hello through the transmitq\n";
static char input[128];

static void receive_line(void)
{
	unsigned got = 0;
	uint32_t len;

	while (got == 0 || input[got - 1] != '\n') {
		if (got >= sizeof(input) - 1)
			fail("virtio-console: input line too long");
		d.q[RX].desc[0] = (struct virtq_desc){ (uintptr_t)input + got,
						       sizeof(input) - 1 - got,
						       VIRTQ_DESC_F_WRITE, 0 };
		vq_submit(&d, RX, 0);
		if (!vq_wait(&d, RX, NULL, &len))
			fail("virtio-console: no input arrived");
		got += len;
	}
	input[got - 1] = 0;
	print("virtio-console: received '%s'\n", input);
}

void test_main(struct hvm_start_info *si)
{
	uint32_t len;

	vdev_find(&d, VIRTIO_ID_CONSOLE, "virtio-console");
	vdev_init(&d, 0, 2);
	d.q[TX].desc[0] = (struct virtq_desc){ (uintptr_t)hello, sizeof(hello) - 1, 0, 0 };
	vq_submit(&d, TX, 0);
	if (!vq_wait(&d, TX, NULL, &len))
		fail("virtio-console: transmit did not complete");
	print("virtio-console: line sent\n");
	if (vdrv_cmdline_has(si, "expect-input"))
		receive_line();
	guest_exit(MKVM_TEST_PASS);
}
