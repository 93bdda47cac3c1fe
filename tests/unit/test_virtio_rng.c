/* virtio-rng fills exactly the writable bytes it is offered. */
#include <stdint.h>
#include <string.h>
#include "unit.h"
#include "virtio/rng.h"
#include "virtio_fixture.h"

TEST(virtio_rng_fills_writable_only)
{
	struct fx f;
	uint8_t *rd, *wr;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	rd = fx_ptr(&f, FX_BUF);
	wr = fx_ptr(&f, FX_BUF + 0x1000);
	memset(rd, 0, 64);
	memset(wr, 0, 4096 + 16);
	fx_set(fx_desc(&f, 0), FX_BUF, 64, VIRTQ_DESC_F_NEXT, 1);
	fx_set(fx_desc(&f, 1), FX_BUF + 0x1000, 4096, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 0);
	CHECK(virtq__drain(&f.vq, &f.chain, virtio_rng__handle, NULL, NULL) == 1);
	CHECK(fx_used(&f)->ring[0].len == 4096);
	/* 4096 random bytes are not all zero, and the readable part and the
	 * bytes after the buffer are left alone. */
	int nonzero = 0;
	for (int i = 0; i < 4096; i++)
		nonzero += wr[i] != 0;
	CHECK(nonzero > 3000);
	for (int i = 0; i < 16; i++)
		CHECK(wr[4096 + i] == 0);
	for (int i = 0; i < 64; i++)
		CHECK(rd[i] == 0);
	fx_fini(&f);
}

/* 256 descriptors over the same 128 KiB buffer offer 32 MiB: one request
 * fills at most VIRTIO_RNG_MAX_REQ bytes, however large the chain. */
TEST(virtio_rng_request_is_bounded)
{
	struct fx f;

	REQUIRE(fx_init(&f, 256, FX_FEATURES) == VIRTQ_OK);
	for (unsigned i = 0; i < 256; i++)
		fx_set(fx_desc(&f, i), FX_BUF, 0x20000,
		       VIRTQ_DESC_F_WRITE | (i < 255 ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
	fx_offer(&f, 0);
	CHECK(virtq__drain(&f.vq, &f.chain, virtio_rng__handle, NULL, NULL) == 1);
	CHECK(fx_used(&f)->ring[0].len == VIRTIO_RNG_MAX_REQ);
	fx_fini(&f);
}
