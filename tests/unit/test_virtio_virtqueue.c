/* The virtqueue module against well-formed and malformed rings. */
#include <stdint.h>
#include "unit.h"
#include "virtio_fixture.h"

TEST(virtio_mem_bounds)
{
	uint8_t ram[64];
	struct virtio_mem m = { 0 };

	REQUIRE(virtio_mem__add(&m, 0x1000, sizeof(ram), ram) == 0);
	CHECK(virtio_mem__ptr(&m, 0x1000, 64) == ram);
	CHECK(virtio_mem__ptr(&m, 0x1010, 16) == ram + 16);
	CHECK(virtio_mem__ptr(&m, 0x1040, 0) == ram + 64);
	CHECK(virtio_mem__ptr(&m, 0x1000, 65) == NULL);
	CHECK(virtio_mem__ptr(&m, 0x1001, 64) == NULL);
	CHECK(virtio_mem__ptr(&m, 0xfff, 2) == NULL);
	CHECK(virtio_mem__ptr(&m, 0x1041, 0) == NULL);
	CHECK(virtio_mem__ptr(&m, 0x1008, UINT64_MAX) == NULL);
	CHECK(virtio_mem__ptr(&m, UINT64_MAX, 2) == NULL);
	for (int i = 1; i < VIRTIO_MEM_REGIONS; i++)
		CHECK(virtio_mem__add(&m, 0x100000 * i, 1, ram) == 0);
	CHECK(virtio_mem__add(&m, 0x900000, 1, ram) == -1);
}

TEST(virtio_vq_enable_checks_ring)
{
	struct fx f;
	struct virtq *vq = &f.vq;

	CHECK(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	CHECK(virtq__enabled(vq));
	CHECK(virtq__enable(vq, &f.mem, 0, FX_DESC, FX_AVAIL, FX_USED, 0) == VIRTQ_E_RING);
	CHECK(!virtq__enabled(vq));
	CHECK(virtq__enable(vq, &f.mem, 6, FX_DESC, FX_AVAIL, FX_USED, 0) == VIRTQ_E_RING);
	CHECK(virtq__enable(vq, &f.mem, 512, FX_DESC, FX_AVAIL, FX_USED, 0) == VIRTQ_E_RING);
	CHECK(virtq__enable(vq, &f.mem, 8, FX_DESC + 8, FX_AVAIL, FX_USED, 0) == VIRTQ_E_RING);
	CHECK(virtq__enable(vq, &f.mem, 8, FX_DESC, FX_AVAIL + 1, FX_USED, 0) == VIRTQ_E_RING);
	CHECK(virtq__enable(vq, &f.mem, 8, FX_DESC, FX_AVAIL, FX_USED + 2, 0) == VIRTQ_E_RING);
	/* Used ring of 8 entries is 70 bytes: ending 2 bytes past RAM fails. */
	CHECK(virtq__enable(vq, &f.mem, 8, FX_DESC, FX_AVAIL,
			    FX_RAM + FX_RAM_SIZE - 68, 0) == VIRTQ_E_RING);
	CHECK(virtq__enable(vq, &f.mem, 8, FX_DESC, FX_AVAIL,
			    FX_RAM + FX_RAM_SIZE - 72, 0) == VIRTQ_OK);
	CHECK(virtq__enable(vq, &f.mem, 8, 0, FX_AVAIL, FX_USED, 0) == VIRTQ_E_RING);
	CHECK(virtq__enable(vq, &f.mem, 8, UINT64_MAX - 15, FX_AVAIL, FX_USED, 0) == VIRTQ_E_RING);
	fx_fini(&f);
}

TEST(virtio_vq_simple_chain)
{
	struct fx f;
	struct virtq_chain *c = &f.chain;

	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	CHECK(virtq__pop(&f.vq, c) == 0);
	memcpy(fx_ptr(&f, FX_BUF), "hello", 5);
	fx_set(fx_desc(&f, 3), FX_BUF, 5, VIRTQ_DESC_F_NEXT, 5);
	fx_set(fx_desc(&f, 5), FX_BUF + 0x100, 3, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	fx_set(fx_desc(&f, 1), FX_BUF + 0x200, 4, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 3);
	REQUIRE(virtq__pop(&f.vq, c) == 1);
	CHECK(c->head == 3);
	CHECK(c->n_rd == 1 && c->n_wr == 2);
	CHECK(c->rd_bytes == 5 && c->wr_bytes == 7);

	char buf[8] = { 0 };
	CHECK(virtq_chain__read(c, 1, buf, sizeof(buf)) == 4);
	CHECK(memcmp(buf, "ello", 4) == 0);
	CHECK(virtq_chain__write(c, 1, "abcdefgh", 8) == 6);
	CHECK(memcmp(fx_ptr(&f, FX_BUF + 0x100), "\0ab", 3) == 0);
	CHECK(memcmp(fx_ptr(&f, FX_BUF + 0x200), "cdef", 4) == 0);

	virtq__push(&f.vq, c->head, 7);
	CHECK(fx_used(&f)->idx == 1);
	CHECK(fx_used(&f)->ring[0].id == 3 && fx_used(&f)->ring[0].len == 7);
	CHECK(virtq__pop(&f.vq, c) == 0);
	fx_fini(&f);
}

TEST(virtio_vq_zero_length_descriptors_skipped)
{
	struct fx f;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	/* A zero-length buffer takes no segment, whatever its address. */
	fx_set(fx_desc(&f, 0), UINT64_MAX, 0, VIRTQ_DESC_F_NEXT, 1);
	fx_set(fx_desc(&f, 1), FX_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 0);
	REQUIRE(virtq__pop(&f.vq, &f.chain) == 1);
	CHECK(f.chain.n_rd == 0 && f.chain.n_wr == 1);
	fx_fini(&f);
}

/* Offers one chain starting at descriptor 0 and expects pop to fail with
 * `err`, and to keep failing afterwards. */
static void expect_broken(struct fx *f, enum virtq_err err)
{
	fx_offer(f, 0);
	CHECK(virtq__pop(&f->vq, &f->chain) == -1);
	CHECK(f->vq.err == err);
	CHECK(virtq__pop(&f->vq, &f->chain) == -1);
	CHECK(fx_used(f)->idx == 0);
}

TEST(virtio_vq_bad_address)
{
	struct fx f;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_RAM + FX_RAM_SIZE - 8, 16, 0, 0);
	expect_broken(&f, VIRTQ_E_ADDR);
	fx_fini(&f);

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), 0x1000, 16, 0, 0); /* below RAM */
	expect_broken(&f, VIRTQ_E_ADDR);
	fx_fini(&f);
}

TEST(virtio_vq_wrapping_length)
{
	struct fx f;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), UINT64_MAX - 0xf, 0xffffffff, VIRTQ_DESC_F_WRITE, 0);
	expect_broken(&f, VIRTQ_E_ADDR);
	fx_fini(&f);
}

TEST(virtio_vq_loop)
{
	struct fx f;

	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_BUF, 1, VIRTQ_DESC_F_NEXT, 1);
	fx_set(fx_desc(&f, 1), FX_BUF, 1, VIRTQ_DESC_F_NEXT, 0);
	expect_broken(&f, VIRTQ_E_CHAIN_LEN);
	fx_fini(&f);

	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_BUF, 0, VIRTQ_DESC_F_NEXT, 0); /* self */
	expect_broken(&f, VIRTQ_E_CHAIN_LEN);
	fx_fini(&f);
}

TEST(virtio_vq_chain_as_long_as_queue)
{
	struct fx f;

	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	for (int i = 0; i < 8; i++)
		fx_set(fx_desc(&f, i), FX_BUF + i, 1,
		       i < 7 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	fx_offer(&f, 0);
	REQUIRE(virtq__pop(&f.vq, &f.chain) == 1);
	CHECK(f.chain.n_rd == 8);
	fx_fini(&f);
}

TEST(virtio_vq_next_out_of_range)
{
	struct fx f;

	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_BUF, 1, VIRTQ_DESC_F_NEXT, 8);
	expect_broken(&f, VIRTQ_E_NEXT);
	fx_fini(&f);
}

TEST(virtio_vq_head_out_of_range)
{
	struct fx f;

	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	fx_offer(&f, 8);
	CHECK(virtq__pop(&f.vq, &f.chain) == -1);
	CHECK(f.vq.err == VIRTQ_E_HEAD);
	fx_fini(&f);
}

TEST(virtio_vq_bad_avail_idx)
{
	struct fx f;

	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_BUF, 1, 0, 0);
	fx_avail(&f)->idx = 9;
	CHECK(virtq__pop(&f.vq, &f.chain) == -1);
	CHECK(f.vq.err == VIRTQ_E_AVAIL_IDX);
	fx_fini(&f);

	/* Exactly a full queue ahead is fine. */
	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_BUF, 1, 0, 0);
	fx_avail(&f)->idx = 8;
	for (int i = 0; i < 8; i++)
		CHECK(virtq__pop(&f.vq, &f.chain) == 1);
	CHECK(virtq__pop(&f.vq, &f.chain) == 0);
	fx_fini(&f);
}

TEST(virtio_vq_readable_after_writable)
{
	struct fx f;

	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_BUF, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	fx_set(fx_desc(&f, 1), FX_BUF, 4, 0, 0);
	expect_broken(&f, VIRTQ_E_ORDER);
	fx_fini(&f);
}

/* Descriptor 0 of the ring points to an indirect table of `n` entries. */
static struct virtq_desc *indirect(struct fx *f, unsigned n, uint16_t flags)
{
	fx_set(fx_desc(f, 0), FX_INDIRECT, n * sizeof(struct virtq_desc),
	       VIRTQ_DESC_F_INDIRECT | flags, 0);
	return fx_ptr(f, FX_INDIRECT);
}

TEST(virtio_vq_indirect_chain)
{
	struct fx f;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	/* The WRITE flag on the indirect descriptor itself is ignored. */
	struct virtq_desc *t = indirect(&f, 3, VIRTQ_DESC_F_WRITE);
	fx_set(&t[0], FX_BUF, 16, VIRTQ_DESC_F_NEXT, 2);
	fx_set(&t[2], FX_BUF + 16, 8, VIRTQ_DESC_F_NEXT, 1);
	fx_set(&t[1], FX_BUF + 32, 1, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 0);
	REQUIRE(virtq__pop(&f.vq, &f.chain) == 1);
	CHECK(f.chain.head == 0);
	CHECK(f.chain.n_rd == 2 && f.chain.rd_bytes == 24);
	CHECK(f.chain.n_wr == 1 && f.chain.wr_bytes == 1);
	fx_fini(&f);
}

TEST(virtio_vq_indirect_table_of_queue_size)
{
	struct fx f;

	/* A driver fills a table with as many buffers as the queue has
	 * entries (Linux virtio-blk: seg_max + 2); that is a legal chain. */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	struct virtq_desc *t = indirect(&f, 4, 0);
	for (int i = 0; i < 4; i++)
		fx_set(&t[i], FX_BUF + 16 * i, 16, i < 3 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	fx_offer(&f, 0);
	REQUIRE(virtq__pop(&f.vq, &f.chain) == 1);
	CHECK(f.chain.n_rd == 4);
	fx_fini(&f);

	/* One direct buffer before that table makes it one too many. */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	t = indirect(&f, 4, 0);
	for (int i = 0; i < 4; i++)
		fx_set(&t[i], FX_BUF + 16 * i, 16, i < 3 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	fx_set(fx_desc(&f, 1), FX_BUF, 16, VIRTQ_DESC_F_NEXT, 0);
	fx_offer(&f, 1);
	CHECK(virtq__pop(&f.vq, &f.chain) == -1);
	CHECK(f.vq.err == VIRTQ_E_CHAIN_LEN);
	fx_fini(&f);
}

TEST(virtio_vq_indirect_after_direct)
{
	struct fx f;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 2), FX_BUF, 16, VIRTQ_DESC_F_NEXT, 0);
	struct virtq_desc *t = indirect(&f, 1, 0);
	fx_set(&t[0], FX_BUF + 32, 1, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 2);
	REQUIRE(virtq__pop(&f.vq, &f.chain) == 1);
	CHECK(f.chain.n_rd == 1 && f.chain.n_wr == 1);
	fx_fini(&f);
}

TEST(virtio_vq_indirect_malformed)
{
	struct fx f;
	struct virtq_desc *t;

	/* Not negotiated. */
	REQUIRE(fx_init(&f, 4, 1ull << VIRTIO_F_VERSION_1) == VIRTQ_OK);
	indirect(&f, 1, 0);
	expect_broken(&f, VIRTQ_E_INDIRECT);
	fx_fini(&f);

	/* Nested. */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	t = indirect(&f, 2, 0);
	fx_set(&t[0], FX_BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	fx_set(&t[1], FX_INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(&f, VIRTQ_E_INDIRECT);
	fx_fini(&f);

	/* INDIRECT together with NEXT. */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	indirect(&f, 1, VIRTQ_DESC_F_NEXT);
	expect_broken(&f, VIRTQ_E_INDIRECT);
	fx_fini(&f);

	/* Length not a multiple of a descriptor, or zero. */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_INDIRECT, 20, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(&f, VIRTQ_E_INDIRECT);
	fx_fini(&f);
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_INDIRECT, 0, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(&f, VIRTQ_E_INDIRECT);
	fx_fini(&f);

	/* Table outside RAM. */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_RAM + FX_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken(&f, VIRTQ_E_ADDR);
	fx_fini(&f);

	/* next beyond the table. */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	t = indirect(&f, 2, 0);
	fx_set(&t[0], FX_BUF, 4, VIRTQ_DESC_F_NEXT, 2);
	expect_broken(&f, VIRTQ_E_NEXT);
	fx_fini(&f);

	/* Loop inside the table. */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	t = indirect(&f, 2, 0);
	fx_set(&t[0], FX_BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	fx_set(&t[1], FX_BUF, 4, VIRTQ_DESC_F_NEXT, 0);
	expect_broken(&f, VIRTQ_E_CHAIN_LEN);
	fx_fini(&f);

	/* A table longer than the queue. */
	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	t = indirect(&f, 8, 0);
	for (int i = 0; i < 8; i++)
		fx_set(&t[i], FX_BUF, 4, i < 7 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	expect_broken(&f, VIRTQ_E_CHAIN_LEN);
	fx_fini(&f);
}

TEST(virtio_vq_reenable_clears_error)
{
	struct fx f;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	fx_offer(&f, 7);
	CHECK(virtq__pop(&f.vq, &f.chain) == -1);
	CHECK(virtq__enable(&f.vq, &f.mem, 4, FX_DESC, FX_AVAIL, FX_USED,
			    FX_FEATURES) == VIRTQ_OK);
	fx_avail(&f)->idx = 0;
	CHECK(virtq__pop(&f.vq, &f.chain) == 0);
	CHECK(f.vq.err == VIRTQ_OK);
	fx_fini(&f);
}

TEST(virtio_vq_indexes_wrap)
{
	struct fx f;
	int bad = 0;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 2), FX_BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 70000; i++) {
		fx_offer(&f, 2);
		if (virtq__pop(&f.vq, &f.chain) != 1 || f.chain.head != 2)
			bad++;
		virtq__push(&f.vq, 2, i);
		if (fx_used(&f)->ring[i % 4].len != i)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(fx_used(&f)->idx == (uint16_t)70000);
	CHECK(virtq__pop(&f.vq, &f.chain) == 0);
	fx_fini(&f);
}

TEST(virtio_vq_notify_flags)
{
	struct fx f;

	REQUIRE(fx_init(&f, 4, 1ull << VIRTIO_F_VERSION_1) == VIRTQ_OK);
	CHECK(!virtq__should_notify(&f.vq)); /* nothing used yet */
	virtq__push(&f.vq, 0, 0);
	CHECK(virtq__should_notify(&f.vq));
	CHECK(!virtq__should_notify(&f.vq)); /* nothing new since */
	fx_avail(&f)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtq__push(&f.vq, 0, 0);
	CHECK(!virtq__should_notify(&f.vq));
	fx_fini(&f);
}

TEST(virtio_vq_notify_event_idx)
{
	struct fx f;
	uint16_t *used_event;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	used_event = &fx_avail(&f)->ring[4];
	fx_avail(&f)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT; /* ignored */
	*used_event = 0; /* interrupt once used idx passes 0 */
	virtq__push(&f.vq, 0, 0);
	CHECK(virtq__should_notify(&f.vq));
	virtq__push(&f.vq, 0, 0); /* idx 2: the driver has not re-armed */
	CHECK(!virtq__should_notify(&f.vq));
	*used_event = 3;
	virtq__push(&f.vq, 0, 0); /* idx 3: crossing 3 needs idx 4 */
	CHECK(!virtq__should_notify(&f.vq));
	virtq__push(&f.vq, 0, 0);
	CHECK(virtq__should_notify(&f.vq));
	CHECK(!virtq__should_notify(&f.vq)); /* nothing new */
	fx_fini(&f);
}

TEST(virtio_vq_avail_event_published)
{
	struct fx f;
	uint16_t *avail_event;

	REQUIRE(fx_init(&f, 4, FX_FEATURES) == VIRTQ_OK);
	avail_event = (uint16_t *)&fx_used(&f)->ring[4];
	*avail_event = 0xabcd;
	fx_set(fx_desc(&f, 0), FX_BUF, 8, 0, 0);
	fx_offer(&f, 0);
	fx_offer(&f, 0);
	CHECK(virtq__pop(&f.vq, &f.chain) == 1);
	CHECK(virtq__pop(&f.vq, &f.chain) == 1);
	CHECK(virtq__pop(&f.vq, &f.chain) == 0);
	CHECK(*avail_event == 2);
	fx_fini(&f);
}

TEST(virtio_vq_chain_iov)
{
	struct fx f;
	struct iovec iov[4];

	REQUIRE(fx_init(&f, 8, FX_FEATURES) == VIRTQ_OK);
	fx_set(fx_desc(&f, 0), FX_BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	fx_set(fx_desc(&f, 1), FX_BUF + 0x100, 100, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	fx_set(fx_desc(&f, 2), FX_BUF + 0x200, 28, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	fx_set(fx_desc(&f, 3), FX_BUF + 0x300, 1, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&f, 0);
	REQUIRE(virtq__pop(&f.vq, &f.chain) == 1);
	/* The writable data without the final status byte. */
	CHECK(virtq_chain__iov(&f.chain, true, 0, 128, iov, 4) == 2);
	CHECK(iov[0].iov_base == fx_ptr(&f, FX_BUF + 0x100) && iov[0].iov_len == 100);
	CHECK(iov[1].iov_base == fx_ptr(&f, FX_BUF + 0x200) && iov[1].iov_len == 28);
	CHECK(virtq_chain__iov(&f.chain, true, 99, 2, iov, 4) == 2);
	CHECK(iov[0].iov_len == 1 && iov[1].iov_len == 1);
	CHECK(virtq_chain__iov(&f.chain, true, 0, 128, iov, 1) == -1);
	CHECK(virtq_chain__iov(&f.chain, true, 0, 130, iov, 4) == -1);
	CHECK(virtq_chain__iov(&f.chain, false, 4, 12, iov, 4) == 1);
	CHECK(iov[0].iov_base == fx_ptr(&f, FX_BUF + 4) && iov[0].iov_len == 12);
	CHECK(virtq_chain__iov(&f.chain, false, 16, 0, iov, 4) == 0);
	CHECK(virtq_chain__iov(&f.chain, false, 16, 1, iov, 4) == -1);
	fx_fini(&f);
}
