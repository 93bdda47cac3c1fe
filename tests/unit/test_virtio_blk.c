/* virtio-blk request handling against a temporary raw image. Chains are
 * built directly (the ring walking is test_virtio_virtqueue.c's job), except
 * in the last test which goes through a real ring. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "virtio/blk.h"
#include "virtio_fixture.h"

#define SECTORS 16

/* A temporary image of SECTORS sectors, byte i of sector s = s ^ i. */
static char *make_image(void)
{
	static char path[64];
	uint8_t sec[512];

	strcpy(path, "/tmp/mkvm-blk-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	for (int s = 0; s < SECTORS; s++) {
		for (int i = 0; i < 512; i++)
			sec[i] = (uint8_t)(s ^ i);
		if (write(fd, sec, 512) != 512)
			return NULL;
	}
	close(fd);
	return path;
}

struct req {
	struct virtio_blk_req_hdr h;
	uint8_t data[4 * 512];
	uint8_t status;
	struct virtq_chain c;
};

/* Builds header [+ data] + status the way a driver lays out a request:
 * data readable for OUT, writable otherwise. */
static void build(struct req *r, uint32_t type, uint64_t sector, uint32_t len)
{
	struct virtq_chain *c = &r->c;

	memset(c, 0, sizeof(*c));
	r->h = (struct virtio_blk_req_hdr){ type, 0, sector };
	r->status = 0xee;
	c->seg[0] = (struct virtq_seg){ (uint8_t *)&r->h, sizeof(r->h) };
	c->n_rd = 1;
	c->rd_bytes = sizeof(r->h);
	unsigned i = 1;
	if (len) {
		c->seg[i++] = (struct virtq_seg){ r->data, len };
		if (type == VIRTIO_BLK_T_OUT) {
			c->n_rd++;
			c->rd_bytes += len;
		} else {
			c->n_wr++;
			c->wr_bytes += len;
		}
	}
	c->seg[i] = (struct virtq_seg){ &r->status, 1 };
	c->n_wr++;
	c->wr_bytes++;
}

static int file_byte(const char *path, off_t off)
{
	uint8_t v;
	int fd = open(path, O_RDONLY);
	ssize_t n = pread(fd, &v, 1, off);

	close(fd);
	return n == 1 ? v : -1;
}

TEST(virtio_blk_open_and_config)
{
	struct virtio_blk b;
	char *path = make_image();

	REQUIRE(path);
	REQUIRE(virtio_blk__open(&b, path, false) == 0);
	CHECK(b.capacity == SECTORS && b.config.capacity == SECTORS);
	CHECK(!(virtio_blk__features(&b) & (1ull << VIRTIO_BLK_F_RO)));
	CHECK(virtio_blk__features(&b) & (1ull << VIRTIO_BLK_F_FLUSH));
	/* A second writer is refused while the first holds the image. */
	struct virtio_blk b2;
	CHECK(virtio_blk__open(&b2, path, false) == -1);
	virtio_blk__close(&b);
	CHECK(virtio_blk__open(&b, "/nonexistent/disk.img", false) == -1);
	unlink(path);
}

TEST(virtio_blk_read)
{
	struct virtio_blk b;
	struct req r;
	char *path = make_image();

	REQUIRE(path && virtio_blk__open(&b, path, false) == 0);
	build(&r, VIRTIO_BLK_T_IN, 3, 1024);
	CHECK(virtio_blk__handle(&b, &r.c) == 1025);
	CHECK(r.status == VIRTIO_BLK_S_OK);
	CHECK(r.data[0] == 3 && r.data[5] == (3 ^ 5));
	CHECK(r.data[512 + 7] == (4 ^ 7));
	/* The last sector is readable, one past it is not. */
	build(&r, VIRTIO_BLK_T_IN, SECTORS - 1, 512);
	CHECK(virtio_blk__handle(&b, &r.c) == 513 && r.status == VIRTIO_BLK_S_OK);
	build(&r, VIRTIO_BLK_T_IN, SECTORS - 1, 1024);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	build(&r, VIRTIO_BLK_T_IN, SECTORS, 512);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	/* sector * 512 and sector + count overflowing. */
	build(&r, VIRTIO_BLK_T_IN, UINT64_MAX, 512);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	build(&r, VIRTIO_BLK_T_IN, UINT64_MAX / 512 + 1, 512);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	/* Not a whole number of sectors. */
	build(&r, VIRTIO_BLK_T_IN, 0, 100);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	virtio_blk__close(&b);
	unlink(path);
}

TEST(virtio_blk_write_flush_durable)
{
	struct virtio_blk b;
	struct req r;
	char *path = make_image();

	REQUIRE(path && virtio_blk__open(&b, path, false) == 0);
	build(&r, VIRTIO_BLK_T_OUT, 5, 512);
	memset(r.data, 0x5a, 512);
	CHECK(virtio_blk__handle(&b, &r.c) == 1);
	CHECK(r.status == VIRTIO_BLK_S_OK);
	build(&r, VIRTIO_BLK_T_FLUSH, 0, 0);
	CHECK(virtio_blk__handle(&b, &r.c) == 1);
	CHECK(r.status == VIRTIO_BLK_S_OK);
	/* On the host file once the flush completed, neighbours untouched. */
	CHECK(file_byte(path, 5 * 512) == 0x5a);
	CHECK(file_byte(path, 6 * 512 - 1) == 0x5a);
	CHECK(file_byte(path, 6 * 512 + 1) == (6 ^ 1));
	CHECK(file_byte(path, 5 * 512 - 1) == (4 ^ 511) % 256);
	/* Beyond the end: refused, file unchanged in size. */
	build(&r, VIRTIO_BLK_T_OUT, SECTORS, 512);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	CHECK(file_byte(path, SECTORS * 512) == -1);
	virtio_blk__close(&b);
	unlink(path);
}

TEST(virtio_blk_flush_error_reported)
{
	struct virtio_blk b;
	struct req r;
	int p[2];
	char *path = make_image();

	REQUIRE(path && virtio_blk__open(&b, path, false) == 0);
	/* fdatasync() fails on a pipe: the guest must hear about it. */
	REQUIRE(pipe(p) == 0);
	dup2(p[0], b.fd);
	build(&r, VIRTIO_BLK_T_FLUSH, 0, 0);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	close(p[0]);
	close(p[1]);
	virtio_blk__close(&b);
	unlink(path);
}

TEST(virtio_blk_host_io_error_reported)
{
	struct virtio_blk b;
	struct req r;
	char *path = make_image();

	REQUIRE(path && virtio_blk__open(&b, path, false) == 0);
	/* An unreadable sector, as a failing host disk gives: pread() on a
	 * directory fails with EISDIR. */
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	REQUIRE(dir >= 0);
	dup2(dir, b.fd);
	close(dir);
	build(&r, VIRTIO_BLK_T_IN, 0, 512);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	build(&r, VIRTIO_BLK_T_OUT, 0, 512);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	virtio_blk__close(&b);
	unlink(path);
}

TEST(virtio_blk_readonly)
{
	struct virtio_blk b;
	struct req r;
	char *path = make_image();

	REQUIRE(path && virtio_blk__open(&b, path, true) == 0);
	CHECK(virtio_blk__features(&b) & (1ull << VIRTIO_BLK_F_RO));
	build(&r, VIRTIO_BLK_T_OUT, 0, 512);
	memset(r.data, 0xff, 512);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	CHECK(file_byte(path, 1) == 1);
	build(&r, VIRTIO_BLK_T_IN, 0, 512);
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_OK);
	virtio_blk__close(&b);
	unlink(path);
}

TEST(virtio_blk_get_id_and_unsupported)
{
	struct virtio_blk b;
	struct req r;
	char *path = make_image();

	REQUIRE(path && virtio_blk__open(&b, path, false) == 0);
	build(&r, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES);
	CHECK(virtio_blk__handle(&b, &r.c) == VIRTIO_BLK_ID_BYTES + 1);
	CHECK(r.status == VIRTIO_BLK_S_OK);
	CHECK(memcmp(r.data, "mkvm-blk-", 9) == 0);
	build(&r, 11 /* DISCARD, not offered */, 0, 0);
	CHECK(virtio_blk__handle(&b, &r.c) == 1);
	CHECK(r.status == VIRTIO_BLK_S_UNSUPP);
	virtio_blk__close(&b);
	unlink(path);
}

TEST(virtio_blk_malformed_requests)
{
	struct virtio_blk b;
	struct req r;
	char *path = make_image();

	REQUIRE(path && virtio_blk__open(&b, path, false) == 0);
	/* Header cut short. */
	build(&r, VIRTIO_BLK_T_IN, 0, 512);
	r.c.seg[0].len = 8;
	r.c.rd_bytes = 8;
	virtio_blk__handle(&b, &r.c);
	CHECK(r.status == VIRTIO_BLK_S_IOERR);
	/* No status byte at all: nothing to answer with, nothing written. */
	build(&r, VIRTIO_BLK_T_IN, 0, 0);
	r.c.n_wr = 0;
	r.c.wr_bytes = 0;
	CHECK(virtio_blk__handle(&b, &r.c) == 0);
	CHECK(r.status == 0xee);
	/* No writable bytes apart from the status: an empty read is fine. */
	build(&r, VIRTIO_BLK_T_IN, 0, 0);
	CHECK(virtio_blk__handle(&b, &r.c) == 1 && r.status == VIRTIO_BLK_S_OK);
	virtio_blk__close(&b);
	unlink(path);
}

TEST(virtio_blk_through_ring)
{
	struct virtio_blk b;
	struct fx f;
	char *path = make_image();

	REQUIRE(path && virtio_blk__open(&b, path, false) == 0);
	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	struct virtio_blk_req_hdr h = { VIRTIO_BLK_T_IN, 0, 2 };
	memcpy(fx_ptr(&f, FX_BUF), &h, sizeof(h));
	/* Data split over two descriptors, status in a third. */
	fx_set(fx_desc(&f, 0), FX_BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	fx_set(fx_desc(&f, 1), FX_BUF + 0x100, 100, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	fx_set(fx_desc(&f, 2), FX_BUF + 0x200, 412, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	fx_set(fx_desc(&f, 3), FX_BUF + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 0);
	CHECK(virtq__drain(&f.vq, &f.chain, virtio_blk__handle, &b, NULL) == 1);
	CHECK(fx_used(&f)->idx == 1 && fx_used(&f)->ring[0].len == 513);
	CHECK(*(uint8_t *)fx_ptr(&f, FX_BUF + 0x400) == VIRTIO_BLK_S_OK);
	CHECK(*(uint8_t *)fx_ptr(&f, FX_BUF + 0x100 + 99) == (2 ^ 99));
	CHECK(*(uint8_t *)fx_ptr(&f, FX_BUF + 0x200 + 411) == (uint8_t)(2 ^ 511));
	/* A broken ring stops the drain with -1. */
	fx_offer(&f, 9);
	CHECK(virtq__drain(&f.vq, &f.chain, virtio_blk__handle, &b, NULL) == -1);
	fx_fini(&f);
	virtio_blk__close(&b);
	unlink(path);
}
