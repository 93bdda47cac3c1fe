/* virtio-console: output reaches the host fd, input waits in the FIFO and
 * is split over the receive buffers the guest offers. */
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io.h"
#include "pci/pci.h"
#include "buses.h"
#include "unit.h"
#include "virtio/console.h"
#include "virtio/pci.h"
#include "virtio_fixture.h"

TEST(virtio_console_tx_to_host)
{
	struct virtio_console con;
	struct fx f;
	int p[2];
	char buf[16] = { 0 };

	REQUIRE(pipe(p) == 0);
	virtio_console__setup(&con, p[1]);
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	memcpy(fx_ptr(&f, FX_BUF), "hello, ", 7);
	memcpy(fx_ptr(&f, FX_BUF + 0x100), "world", 5);
	fx_set(fx_desc(&f, 0), FX_BUF, 7, VIRTQ_DESC_F_NEXT, 1);
	fx_set(fx_desc(&f, 1), FX_BUF + 0x100, 5, 0, 0);
	fx_offer(&f, 0);
	CHECK(virtq__drain(&f.vq, &f.chain, virtio_console__tx, &con, NULL) == 1);
	CHECK(fx_used(&f)->ring[0].len == 0);
	CHECK(read(p[0], buf, sizeof(buf)) == 12);
	CHECK(strcmp(buf, "hello, world") == 0);
	close(p[0]);
	close(p[1]);
	fx_fini(&f);
}

TEST(virtio_console_rx_fifo)
{
	static struct virtio_console con;
	struct fx f;
	uint8_t big[VIRTIO_CONSOLE_FIFO + 10];

	virtio_console__setup(&con, -1);
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	/* No buffers yet: input waits, and the FIFO is bounded. */
	memset(big, 'a', sizeof(big));
	CHECK(virtio_console__fifo_put(&con, big, 4000) == 4000);
	CHECK(virtio_console__rx(&con, &f.vq, &f.chain) == 0);
	CHECK(virtio_console__fifo_put(&con, big, sizeof(big)) == VIRTIO_CONSOLE_FIFO - 4000);
	CHECK(virtio_console__fifo_room(&con) == 0);

	/* Two buffers of 4000 and 100 bytes take 4100 bytes. */
	fx_set(fx_desc(&f, 0), FX_BUF, 4000, VIRTQ_DESC_F_WRITE, 0);
	fx_set(fx_desc(&f, 1), FX_BUF + 0x2000, 100, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 0);
	fx_offer(&f, 1);
	CHECK(virtio_console__rx(&con, &f.vq, &f.chain) == 2);
	CHECK(fx_used(&f)->ring[0].len == 4000 && fx_used(&f)->ring[1].len == 96);
	CHECK(virtio_console__fifo_room(&con) == VIRTIO_CONSOLE_FIFO);

	/* Input that wraps around the end of the FIFO arrives in order. */
	CHECK(virtio_console__fifo_put(&con, (const uint8_t *)"0123456789", 10) == 10);
	fx_set(fx_desc(&f, 2), FX_BUF + 0x3000, 64, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 2);
	CHECK(virtio_console__rx(&con, &f.vq, &f.chain) == 1);
	CHECK(fx_used(&f)->ring[2].len == 10);
	CHECK(memcmp(fx_ptr(&f, FX_BUF + 0x3000), "0123456789", 10) == 0);
	/* A malformed receive ring is reported. */
	CHECK(virtio_console__fifo_put(&con, (const uint8_t *)"x", 1) == 1);
	fx_offer(&f, 9);
	CHECK(virtio_console__rx(&con, &f.vq, &f.chain) == -1);
	fx_fini(&f);
}

/* Four requests of 256 descriptors over one 128 KiB buffer: each writes at
 * most VIRTIO_CONSOLE_TX_MAX bytes to the host, and one drain stops after
 * VIRTQ_DRAIN_BYTES of chains, leaving the rest for the next one. */
TEST(virtio_console_tx_is_bounded)
{
	struct virtio_console con;
	struct fx f;
	struct stat st;
	int fd = memfd_create("console-out", MFD_CLOEXEC);

	REQUIRE(fd >= 0);
	virtio_console__setup(&con, fd);
	REQUIRE(fx_init(&f, 256, FX_FEATURES) == VIRTQ_OK);
	for (unsigned i = 0; i < 255; i++)
		fx_set(fx_desc(&f, i), FX_BUF, 0x20000, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	fx_set(fx_desc(&f, 255), FX_BUF, 0x20000, 0, 0);
	for (int i = 0; i < 4; i++)
		fx_offer(&f, 0);
	int first = virtq__drain(&f.vq, &f.chain, virtio_console__tx, &con, NULL);
	CHECK(first >= 1 && first < 4);
	CHECK(virtq__pending(&f.vq));
	int n = first;
	for (int i = 0; i < 4 && virtq__pending(&f.vq); i++)
		n += virtq__drain(&f.vq, &f.chain, virtio_console__tx, &con, NULL);
	CHECK(n == 4);
	REQUIRE(fstat(fd, &st) == 0);
	CHECK(st.st_size == 4 * VIRTIO_CONSOLE_TX_MAX);
	close(fd);
	fx_fini(&f);
}

/* The console on the PCI transport with its output blocked (a terminal
 * that stopped reading): the worker sits in write() with the device's
 * request in hand, and the terminal thread must still be able to ask for
 * input room and hand over input (Ctrl-A x goes through there). */
#define CQ_DESC  (FX_RAM + 0x5000)
#define CQ_AVAIL (FX_RAM + 0x5800)
#define CQ_USED  (FX_RAM + 0x6000)

static struct virtio_console_pci *blocked;

static void *ask_room(void *arg)
{
	*(size_t *)arg = virtio_console__rx_room(blocked) + 1;
	return NULL;
}

/* BAR 0 of the virtio console on the PCI bus, or 0. */
static uint64_t console_bar(void)
{
	const uint32_t want = VIRTIO_PCI_VENDOR_ID |
			      (uint32_t)(VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_CONSOLE) << 16;

	for (int s = 0; s < PCI_MAX_DEVICES; s++) {
		uint32_t id = 0, bar = 0;

		pci__cfg_access(&test_pci, s, 0, 0, (uint8_t *)&id, 4, false);
		pci__cfg_access(&test_pci, s, 0, 0x10, (uint8_t *)&bar, 4, false);
		if (id == want)
			return bar & ~15u;
	}
	return 0;
}

static void cwr(uint64_t bar, uint64_t off, uint32_t len, uint64_t v)
{
	io__access(&test_io, NULL, IO_MMIO, bar + off, (uint8_t *)&v, len, true);
}

TEST(virtio_console_blocked_output_does_not_block_input)
{
	static struct fx f;
	int p[2];
	char junk[4096];

	REQUIRE(pipe(p) == 0);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	memset(junk, 'x', sizeof(junk));
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	fcntl(p[1], F_SETFL, 0);              /* full, and writes now block */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK && pci__init(&test_pci, &test_io, &test_irq) == 0);
	virtq__disable(&f.vq);
	blocked = virtio_console__init(&test_pci, NULL, &f.mem, p[1]);
	REQUIRE(blocked != NULL);
	uint64_t bar = console_bar();
	REQUIRE(bar);
	/* Driver set-up of the transmit queue (1) only, then one request. */
	cwr(bar, offsetof(struct virtio_pci_common_cfg, device_status), 1, 3);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, driver_feature_select), 4, 1);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, driver_feature), 4, 1);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, device_status), 1, 11);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, queue_select), 2, 1);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, queue_size), 2, 4);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, queue_desc), 8, CQ_DESC);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, queue_driver), 8, CQ_AVAIL);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, queue_device), 8, CQ_USED);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, queue_enable), 2, 1);
	cwr(bar, offsetof(struct virtio_pci_common_cfg, device_status), 1, 15);
	struct virtq_desc *d = fx_ptr(&f, CQ_DESC);
	struct virtq_avail *a = fx_ptr(&f, CQ_AVAIL);
	memcpy(fx_ptr(&f, FX_BUF), "blocked output\n", 15);
	fx_set(&d[0], FX_BUF, 15, 0, 0);
	a->ring[0] = 0;
	a->idx = 1;
	cwr(bar, VIRTIO_PCI_NOTIFY + 4, 2, 1);
	usleep(100 * 1000);                   /* the worker is in write() now */

	pthread_t t;
	size_t room = 0;
	REQUIRE(pthread_create(&t, NULL, ask_room, &room) == 0);
	for (int i = 0; i < 200 && !room; i++)
		usleep(1000);
	CHECK(room == VIRTIO_CONSOLE_FIFO + 1);
	while (read(p[0], junk, sizeof(junk)) == sizeof(junk) && !room)
		;                                 /* unblock the worker either way */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	while (read(p[0], junk, sizeof(junk)) > 0)
		;
	pthread_join(t, NULL);
}
