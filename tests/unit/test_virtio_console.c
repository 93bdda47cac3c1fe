/* virtio-console: output reaches the host fd, input waits in the FIFO and
 * is split over the receive buffers the guest offers. */
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "virtio/console.h"
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
