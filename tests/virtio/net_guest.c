/* net.elf: virtio-net end to end. By default over a loopback backend (mkvm
 * --net user-loopback; QEMU -netdev socket with a UDP socket sending to
 * itself): every frame the guest transmits must come back on its receive
 * queue, intact, behind a 12-byte header. With "tap" on the command line
 * (mkvm --net tap=NAME in a network namespace): three broadcast frames go
 * out, and an ARP request from the host stack must come in. */
#include <stddef.h>
#include "guest.h"
#include "vdrv.h"

#define RX 0
#define TX 1
#define HDR sizeof(struct virtio_net_hdr)
#define FRAME 60
#define RX_BUFS 4

static struct vdev d;
static uint8_t rxbuf[RX_BUFS][2048];
static struct virtio_net_hdr txhdr;
static uint8_t frame[FRAME];

static void post_rx(uint16_t i)
{
	d.q[RX].desc[i] = (struct virtq_desc){ (uintptr_t)rxbuf[i], sizeof(rxbuf[i]),
					       VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&d, RX, i);
}

static void make_frame(const uint8_t mac[6], unsigned n)
{
	static const char text[] = "mkvm-virtio-net-loopback #";

	for (unsigned i = 0; i < 6; i++)
		frame[i] = frame[6 + i] = mac[i]; /* to ourselves, from ourselves */
	frame[12] = 0x88;
	frame[13] = 0xb5; /* local experimental EtherType */
	for (unsigned i = 0; i < sizeof(text) - 1; i++)
		frame[14 + i] = (uint8_t)text[i];
	frame[14 + sizeof(text) - 1] = (uint8_t)('0' + n);
	for (unsigned i = 14 + sizeof(text); i < FRAME; i++)
		frame[i] = (uint8_t)(i * 7 + n);
}

static void transmit(void)
{
	struct virtq_desc *tx = d.q[TX].desc;
	uint32_t len;

	tx[0] = (struct virtq_desc){ (uintptr_t)&txhdr, HDR, VIRTQ_DESC_F_NEXT, 1 };
	tx[1] = (struct virtq_desc){ (uintptr_t)frame, FRAME, 0, 0 };
	vq_submit(&d, TX, 0);
	if (!vq_wait(&d, TX, NULL, &len))
		fail("virtio-net: transmit did not complete");
}

static void send_and_receive(const uint8_t mac[6], unsigned n)
{
	uint32_t len;

	make_frame(mac, n);
	transmit();

	uint16_t head;
	if (!vq_wait(&d, RX, &head, &len))
		fail("virtio-net: nothing received");
	if (head >= RX_BUFS || len != HDR + FRAME)
		fail("virtio-net: received frame has the wrong length");
	for (unsigned i = 0; i < FRAME; i++)
		if (rxbuf[head][HDR + i] != frame[i])
			fail("virtio-net: received frame differs");
	print("virtio-net: frame %u came back intact (%u bytes with header)\n", n, len);
	post_rx(head);
}

static void tap_test(const uint8_t mac[6])
{
	uint16_t head;
	uint32_t len;

	for (unsigned n = 0; n < 3; n++) {
		make_frame(mac, n);
		for (unsigned i = 0; i < 6; i++)
			frame[i] = 0xff; /* broadcast */
		transmit();
	}
	print("virtio-net: 3 frames sent\n");
	for (unsigned n = 0; n < 64; n++) {
		if (!vq_wait(&d, RX, &head, &len) || head >= RX_BUFS)
			fail("virtio-net: no ARP request from the host");
		const uint8_t *f = rxbuf[head] + HDR;
		if (len >= HDR + 14 && f[12] == 0x08 && f[13] == 0x06) {
			print("virtio-net: received an ARP frame from the host\n");
			return;
		}
		post_rx(head);
	}
	fail("virtio-net: 64 frames and no ARP request");
}

void test_main(struct hvm_start_info *si)
{
	uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	vdev_find(&d, VIRTIO_ID_NET, "virtio-net");
	vdev_init(&d, 1ull << VIRTIO_NET_F_MAC, 2);
	if ((d.features & (1ull << VIRTIO_NET_F_MAC)) && d.devcfg)
		for (unsigned i = 0; i < 6; i++)
			mac[i] = d.devcfg[i];
	print("virtio-net: mac %x:%x:%x:%x:%x:%x\n", mac[0], mac[1], mac[2], mac[3],
	      mac[4], mac[5]);
	for (uint16_t i = 0; i < RX_BUFS; i++)
		post_rx(i);
	if (vdrv_cmdline_has(si, "tap")) {
		tap_test(mac);
		guest_exit(MKVM_TEST_PASS);
	}
	for (unsigned n = 0; n < 3; n++)
		send_and_receive(mac, n);
	guest_exit(MKVM_TEST_PASS);
}
