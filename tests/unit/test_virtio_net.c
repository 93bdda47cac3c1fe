/* virtio-net over the loopback backend: a transmitted frame comes back on
 * the receive queue behind a fresh header; frames wait while the guest has
 * no receive buffer; bad specs and short frames are refused. */
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "virtio/net.h"
#include "virtio_fixture.h"

/* A second queue (transmit) in the fixture's RAM. */
#define TX_DESC  (FX_RAM + 0x5000)
#define TX_AVAIL (FX_RAM + 0x5800)
#define TX_USED  (FX_RAM + 0x6000)

static void tx_frame(struct fx *f, struct virtq *tx, struct virtio_net *n,
		     const char *payload, uint32_t len)
{
	struct virtq_desc *d = fx_ptr(f, TX_DESC);
	struct virtq_avail *a = fx_ptr(f, TX_AVAIL);

	memset(fx_ptr(f, FX_BUF + 0x4000), 0, 12);
	memcpy(fx_ptr(f, FX_BUF + 0x4100), payload, len);
	fx_set(&d[0], FX_BUF + 0x4000, 12, VIRTQ_DESC_F_NEXT, 1);
	fx_set(&d[1], FX_BUF + 0x4100, len, 0, 0);
	a->ring[a->idx % 4] = 0;
	a->idx++;
	virtq__drain(tx, &f->chain, virtio_net__tx, n, NULL);
}

TEST(virtio_net_loopback)
{
	static struct virtio_net n;
	struct virtq tx;
	struct fx f;
	const char frame[60] = "\xff\xff\xff\xff\xff\xff" "\x52\x54\x00\x12\x34\x56" "\x08\x00" "ping";

	REQUIRE(virtio_net__open(&n, "user-loopback") == 0);
	CHECK(n.config.status == VIRTIO_NET_S_LINK_UP && n.config.mac[0] == 0x52);
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK); /* f.vq: receive */
	REQUIRE(virtq__enable(&tx, &f.mem, 4, TX_DESC, TX_AVAIL, TX_USED,
			      FX_FEATURES) == VIRTQ_OK);

	tx_frame(&f, &tx, &n, frame, sizeof(frame));
	CHECK(n.tx_dropped == 0);
	/* No receive buffer yet: the frame waits in the backend. */
	CHECK(virtio_net__rx(&n, &f.vq, &f.chain, NULL) == 0);

	fx_set(fx_desc(&f, 0), FX_BUF, 1526, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 0);
	CHECK(virtq__pending(&f.vq));
	CHECK(virtio_net__rx(&n, &f.vq, &f.chain, NULL) == 1);
	CHECK(fx_used(&f)->ring[0].len == 12 + sizeof(frame));
	struct virtio_net_hdr *h = fx_ptr(&f, FX_BUF);
	CHECK(h->flags == 0 && h->gso_type == 0 && h->num_buffers == 1);
	CHECK(memcmp(fx_ptr(&f, FX_BUF + 12), frame, sizeof(frame)) == 0);

	/* A buffer but no frame: the chain stays available. */
	fx_offer(&f, 0);
	CHECK(virtio_net__rx(&n, &f.vq, &f.chain, NULL) == 0);
	CHECK(virtq__pending(&f.vq));

	/* A buffer too small for the frame: returned empty, frame dropped. */
	fx_set(fx_desc(&f, 0), FX_BUF, 40, VIRTQ_DESC_F_WRITE, 0);
	tx_frame(&f, &tx, &n, frame, sizeof(frame));
	CHECK(virtio_net__rx(&n, &f.vq, &f.chain, NULL) == 1);
	CHECK(fx_used(&f)->ring[1].len == 0 && n.rx_dropped == 1);
	virtio_net__close(&n);
	fx_fini(&f);
}

TEST(virtio_net_short_tx_dropped)
{
	static struct virtio_net n;
	struct virtq_chain c = { 0 };
	uint8_t hdr[8] = { 0 };

	REQUIRE(virtio_net__open(&n, "user-loopback") == 0);
	c.seg[0] = (struct virtq_seg){ hdr, sizeof(hdr) };
	c.n_rd = 1;
	c.rd_bytes = sizeof(hdr);
	CHECK(virtio_net__tx(&n, &c) == 0);
	CHECK(n.tx_dropped == 1);
	virtio_net__close(&n);
}

TEST(virtio_net_bad_spec)
{
	static struct virtio_net n;

	CHECK(virtio_net__open(&n, "bridge=br0") == -1);
	CHECK(virtio_net__open(&n, "tap=") == -1);
	CHECK(virtio_net__open(&n, "tap=a-name-much-too-long-for-linux") == -1);
}

/* Receiving under a limiter of 2 frames a second: of three frames waiting
 * with three buffers offered, two arrive now and the third stays in the
 * backend until the limiter has a token again. An oversized transmitted
 * frame is dropped before it reaches the backend. */
TEST(virtio_net_rx_rate_limited)
{
	static struct virtio_net n;
	struct rate_limiter rl;
	struct virtq tx;
	struct fx f;
	const char frame[60] = "\xff\xff\xff\xff\xff\xff" "\x52\x54\x00\x12\x34\x56" "\x08\x00";

	REQUIRE(virtio_net__open(&n, "user-loopback") == 0);
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	REQUIRE(virtq__enable(&tx, &f.mem, 4, TX_DESC, TX_AVAIL, TX_USED,
			      FX_FEATURES) == VIRTQ_OK);
	for (int i = 0; i < 3; i++) {
		tx_frame(&f, &tx, &n, frame, sizeof(frame));
		fx_set(fx_desc(&f, (unsigned)i), FX_BUF + 0x800 * (unsigned)i, 1526,
		       VIRTQ_DESC_F_WRITE, 0);
		fx_offer(&f, (uint16_t)i);
	}
	rate_limiter__init(&rl, 0, 2, ratelimit__now_ns());
	CHECK(virtio_net__rx(&n, &f.vq, &f.chain, &rl) == 2);
	CHECK(virtq__pending(&f.vq));
	CHECK(virtio_net__rx(&n, &f.vq, &f.chain, &rl) == 0);
	CHECK(rate_limiter__wait_ns(&rl, ratelimit__now_ns()) > 400 * 1000000ull);
	usleep(550 * 1000);
	CHECK(virtio_net__rx(&n, &f.vq, &f.chain, &rl) == 1);

	/* 12 + 70000 bytes: more than any frame, dropped and counted. */
	struct virtq_desc *d = fx_ptr(&f, TX_DESC);
	struct virtq_avail *a = fx_ptr(&f, TX_AVAIL);
	fx_set(&d[0], FX_BUF, 12, VIRTQ_DESC_F_NEXT, 1);
	fx_set(&d[1], FX_BUF + 0x1000, 70000, 0, 0);
	a->ring[a->idx % 4] = 0;
	a->idx++;
	uint64_t dropped = n.tx_dropped;
	virtq__drain(&tx, &f.chain, virtio_net__tx, &n, NULL);
	CHECK(n.tx_dropped == dropped + 1);
	CHECK(read(n.rx_fd, n.frame, sizeof(n.frame)) < 0); /* nothing sent */
	virtio_net__close(&n);
	fx_fini(&f);
}
