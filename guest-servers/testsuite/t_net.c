/* Tests of the virtio-net driver server (guest-servers/virtio-net/net.c) through
 * its IPC protocol (shared/mkvm/net.h). virtio-net: set-up, MAC and bad
 * requests, on any network; skips without a modern virtio-net.
 * virtio-net-loopback: frames out and back, which needs a device whose every
 * sent frame comes back (QEMU's UDP socket sending to itself, mkvm's
 * --net user-loopback); the harness says so with "net-loopback" on the
 * command line. On a real network (a libvirt TAP) frames from the host
 * stack arrive and ours do not return, so it skips there. */
#include <mkvm/net.h>
#include <mkvm/pci.h>
#include <mkvm/virtio.h>
#include "suite.h"

#define U(x) ((uint64_t)(x))

#define NET_OK(err, mr) (!(err) && L4_TAG_LABEL((mr)[0]) == MKVM_NET_OK)
#define NET_ERR(err, mr, code) (!(err) && L4_TAG_LABEL((mr)[0]) == MKVM_NET_ERROR && (mr)[1] == (code))

/* Frame k of a run: to and from our MAC, a local-experimental EtherType,
 * a payload no earlier run can have produced. */
static void frame_fill(uint8_t *f, uint64_t len, uint64_t mac, uint64_t stamp, unsigned k)
{
	for (int i = 0; i < 6; i++)
		f[i] = f[6 + i] = (uint8_t)(mac >> 8 * i);
	f[12] = 0x88;
	f[13] = 0xb5;
	for (uint64_t i = 14; i < len; i++)
		f[i] = (uint8_t)((stamp >> (i % 8) * 8) + i * 7 + k);
}

static uint8_t page[4096] __attribute__((aligned(4096)));       /* the buffer page */
static const uint64_t sizes[] = { 60, MKVM_NET_MAX, MKVM_NET_MIN + 1 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static bool frame_send(uint64_t srv, uint64_t mac, uint64_t stamp, unsigned k)
{
	uint64_t *mr = l4_utcb()->mr;
	frame_fill(page + MKVM_NET_TXBUF, sizes[k], mac, stamp, k);
	int err = net_request(srv, MKVM_NET_SEND, sizes[k]);
	if (!NET_OK(err, mr))
		test_fail("send of frame %d (%lu bytes): error %x, label %x, code %lu", U(k), sizes[k], U(err),
			  L4_TAG_LABEL(mr[0]), mr[1]);
	return NET_OK(err, mr);
}

static bool frame_back(uint64_t srv, uint64_t mac, uint64_t stamp, unsigned k)
{
	static uint8_t want[MKVM_NET_MAX];
	uint64_t *mr = l4_utcb()->mr;
	memset(page + MKVM_NET_RXBUF, 0, MKVM_NET_MAX);
	int err = net_request(srv, MKVM_NET_RECV, 2000000);
	if (!NET_OK(err, mr)) {
		test_fail("receive of frame %d: error %x, label %x, code %lu", U(k), U(err), L4_TAG_LABEL(mr[0]), mr[1]);
		return false;
	}
	frame_fill(want, sizes[k], mac, stamp, k);
	if (mr[1] < sizes[k] || mr[1] > MKVM_NET_MAX || memcmp(page + MKVM_NET_RXBUF, want, sizes[k])) {
		test_fail("frame %d (%lu bytes) came back changed (%lu bytes)", U(k), sizes[k], mr[1]);
		return false;
	}
	return true;
}

static uint64_t srv, mac;        /* the server and its MAC, once virtio-net passed */

void t_virtio_net(void)
{
	static uint64_t started;
	uint64_t *mr = l4_utcb()->mr;
	if (!virtio_present(VIRTIO_ID_NET)) {
		test_skip("no modern virtio-net (QEMU: -device virtio-net-pci,disable-legacy=on; mkvm: --net user-loopback)");
		return;
	}
	if (!started)
		started = name_lookup("virtio-net", SERVER_TIMEOUT_US);
	EXPECT(started, "cannot start the virtio-net server");
	int err = net_request(started, MKVM_NET_RECV, 0);
	EXPECT(NET_ERR(err, mr, MKVM_NET_ENOBUF), "receive before setbuf: error %x, label %x, code %lu",
	       U(err), L4_TAG_LABEL(mr[0]), mr[1]);
	memset(page, 0, sizeof(page));          /* only a page we have can be mapped on */
	err = net_setbuf(started, (uint64_t)page);
	EXPECT(NET_OK(err, mr), "setbuf: error %x, label %x, code %lu", U(err), L4_TAG_LABEL(mr[0]), mr[1]);
	err = net_request(started, MKVM_NET_MAC, 0);
	EXPECT(NET_OK(err, mr), "mac: error %x, label %x", U(err), L4_TAG_LABEL(mr[0]));
	uint64_t m = mr[1];
	EXPECT(m && m >> 48 == 0, "mac %lx", m);
	err = net_request(started, MKVM_NET_SEND, MKVM_NET_MIN - 1);
	EXPECT(NET_ERR(err, mr, MKVM_NET_EINVAL), "runt send: error %x, label %x", U(err), L4_TAG_LABEL(mr[0]));
	err = net_request(started, MKVM_NET_SEND, MKVM_NET_MAX + 1);
	EXPECT(NET_ERR(err, mr, MKVM_NET_EINVAL), "oversized send: error %x, label %x", U(err), L4_TAG_LABEL(mr[0]));
	err = net_request(started, MKVM_NET_ERROR + 1, 0);
	EXPECT(NET_ERR(err, mr, MKVM_NET_EINVAL), "unknown request: error %x, label %x", U(err), L4_TAG_LABEL(mr[0]));
	srv = started;
	mac = m;
	printf("virtio-net: mac %lx\n", mac);
}

void t_virtio_net_loopback(void)
{
	uint64_t *mr = l4_utcb()->mr;
	if (!cmdline_has(prog_info->cmdline, "net-loopback")) {
		test_skip("the network here does not return our frames (no net-loopback on the command line)");
		return;
	}
	EXPECT(srv, "no virtio-net server (the virtio-net test did not pass)");

	/* nothing sent yet: a short wait times out, and only after the time */
	uint64_t t0 = l4_clock_us();
	int err = net_request(srv, MKVM_NET_RECV, 100000);
	uint64_t waited = l4_clock_us() - t0;
	EXPECT(NET_ERR(err, mr, MKVM_NET_ETIMEOUT), "receive of nothing: error %x, label %x, code %lu",
	       U(err), L4_TAG_LABEL(mr[0]), mr[1]);
	EXPECT(waited >= 90000, "receive timed out after %lu us, asked for 100000", waited);

	/* each frame back before the next is sent; then all sent before any is
	 * received, so the server holds them in order */
	uint64_t stamp = rdtsc();
	for (unsigned k = 0; k < NSIZES; k++)
		if (!frame_send(srv, mac, stamp, k) || !frame_back(srv, mac, stamp, k))
			return;
	for (unsigned k = 0; k < NSIZES; k++)
		if (!frame_send(srv, mac, stamp + 1, k))
			return;
	for (unsigned k = 0; k < NSIZES; k++)
		if (!frame_back(srv, mac, stamp + 1, k))
			return;
	printf("virtio-net: %d frames sent and received back, empty receive timed out after %lu us\n",
	       (int)(2 * NSIZES), waited);
}
