/* Fuzz target for the virtqueue module and the devices that sit on it.
 *
 * The input is a small guest: a header choosing the queue size, features,
 * ring placement and device, then the bytes of guest RAM (rings,
 * descriptors, indirect tables, request headers, data). The target enables
 * the queue and serves it as one of: virtio-blk (a memfd image),
 * virtio-rng, virtio-console's transmit or receive queue (host input
 * waiting in its FIFO) and virtio-net's transmit or receive queue (frames
 * waiting on a loopback backend), checking the module's promises: every
 * segment lies in guest RAM, chains never exceed the queue size, byte
 * counts add up, the used index advances exactly once per chain, used
 * lengths never exceed what the chain offered, and nothing loops.
 *
 * Built two ways (tests/fuzz/fuzz.mk): as a libFuzzer target with clang, and
 * with -DFUZZ_DRIVER under gcc's sanitizers, where main() feeds it a bounded
 * number of deterministic pseudo-random, structure-aware inputs. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "virtio/virtqueue.h"

#define RAM_GPA  0x10000ull
#define RAM_SIZE 0x8000ull
#define HDR      8

struct hdr {
	uint8_t size_log2;  /* queue size 1 << (size_log2 % 9) */
	uint8_t flags;      /* see F_* */
	uint16_t desc, avail, used; /* ring offsets in RAM */
};

#define F_EVENT_IDX  1
#define F_INDIRECT   2
#define F_ALIGN      4  /* round the ring offsets to their alignment */
#define F_CLAMP_DESC 8  /* pull descriptor addresses near RAM */
#define F_DEV_SHIFT  4  /* bits 4-6: enum dev */

enum dev { DEV_BLK, DEV_RNG, DEV_CON_TX, DEV_CON_RX, DEV_NET_TX, DEV_NET_RX, DEVS };

static uint8_t *ram;
static struct virtio_blk blk;
static struct virtio_console con;
static struct virtio_net net;
static struct virtq_chain chain;

#define ASSERT(c)                                                          \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "fuzz: %s:%d: %s\n", __FILE__,     \
				__LINE__, #c);                             \
			abort();                                           \
		}                                                          \
	} while (0)

static void setup(void)
{
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(ram != MAP_FAILED);
	int fd = memfd_create("fuzz-disk", 0);
	ASSERT(fd >= 0 && ftruncate(fd, 64 * 512) == 0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ASSERT(virtio_blk__open(&blk, path, false) == 0);
	close(fd);
	virtio_console__setup(&con, open("/dev/null", O_WRONLY | O_CLOEXEC));
	ASSERT(con.out_fd >= 0);
	ASSERT(virtio_net__open(&net, "user-loopback") == 0);
}

/* Host input for the receive queues: console bytes in the FIFO, a few
 * frames of assorted sizes on the net backend. */
static void host_input(enum dev d)
{
	static uint8_t junk[2048];

	if (d == DEV_CON_RX) {
		con.head = con.len = 0;
		virtio_console__fifo_put(&con, junk, 1 + junk[0] % sizeof(junk));
	}
	if (d == DEV_NET_RX)
		for (size_t n = 14; n <= sizeof(junk); n *= 3)
			ASSERT(write(net.tx_fd, junk, n) == (ssize_t)n);
	junk[0] += 37;
}

/* Drops what net tx sent and net rx left, so every input starts empty. */
static void host_drain(void)
{
	while (read(net.rx_fd, net.frame, sizeof(net.frame)) > 0)
		;
}

static void check_chain(const struct virtq *vq, const struct virtq_chain *c)
{
	uint64_t rd = 0, wr = 0;

	ASSERT(c->head < vq->size);
	ASSERT(c->n_rd + c->n_wr <= vq->size);
	for (unsigned i = 0; i < c->n_rd + c->n_wr; i++) {
		const struct virtq_seg *s = &c->seg[i];

		ASSERT(s->len > 0);
		ASSERT(s->p >= ram && s->p + s->len <= ram + RAM_SIZE);
		*(i < c->n_rd ? &rd : &wr) += s->len;
	}
	ASSERT(rd == c->rd_bytes && wr == c->wr_bytes);
}

static uint32_t handle(enum dev d, const struct virtq_chain *c)
{
	switch (d) {
	case DEV_RNG:    return virtio_rng__handle(NULL, c);
	case DEV_CON_TX: return virtio_console__tx(&con, c);
	case DEV_NET_TX: return virtio_net__tx(&net, c);
	default:         return virtio_blk__handle(&blk, c);
	}
}

/* The receive queues pop by themselves: check what they pushed. */
static void serve_rx(enum dev d, struct virtq *vq)
{
	uint16_t before = vq->used_idx;
	int r = d == DEV_CON_RX ? virtio_console__rx(&con, vq, &chain)
				: virtio_net__rx(&net, vq, &chain, NULL);

	ASSERT(r >= -1 && r <= vq->size);
	if (r >= 0)
		ASSERT((uint16_t)(vq->used_idx - before) == r);
	if (r <= 0)
		return;
	uint32_t last = vq->used->ring[(uint16_t)(vq->used_idx - 1) % vq->size].len;
	if (d == DEV_CON_RX) /* it stops on a pushed chain: the last popped */
		ASSERT(last <= chain.wr_bytes && last <= VIRTIO_CONSOLE_FIFO);
	else
		ASSERT(last <= sizeof(struct virtio_net_hdr) + VIRTIO_NET_FRAME_MAX);
}

/* Aims the descriptor table at RAM so walks go deeper than one bad address. */
static void clamp_descs(uint64_t desc_off, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = desc_off + 16 * i;
		struct virtq_desc d;

		if (off + sizeof(d) > RAM_SIZE)
			return;
		memcpy(&d, ram + off, sizeof(d));
		d.addr = RAM_GPA + d.addr % (RAM_SIZE + 64);
		d.len %= 2048;
		memcpy(ram + off, &d, sizeof(d));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_mem mem = { 0 };
	struct virtq vq;
	struct hdr h;

	if (!ram)
		setup();
	if (size < HDR)
		return 0;
	memcpy(&h, data, sizeof(h));
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data + HDR, size - HDR < RAM_SIZE ? size - HDR : RAM_SIZE);

	uint16_t qsize = 1u << (h.size_log2 % 9);
	uint64_t features = 1ull << VIRTIO_F_VERSION_1;
	if (h.flags & F_EVENT_IDX)
		features |= 1ull << VIRTIO_F_EVENT_IDX;
	if (h.flags & F_INDIRECT)
		features |= 1ull << VIRTIO_F_INDIRECT_DESC;
	uint64_t desc = h.desc % RAM_SIZE, avail = h.avail % RAM_SIZE,
		 used = h.used % RAM_SIZE;
	if (h.flags & F_ALIGN) {
		desc &= ~15ull;
		avail &= ~1ull;
		used &= ~3ull;
	}
	if (h.flags & F_CLAMP_DESC)
		clamp_descs(desc, qsize);

	virtio_mem__add(&mem, RAM_GPA, RAM_SIZE, ram);
	virtq__disable(&vq);
	if (virtq__enable(&vq, &mem, qsize, RAM_GPA + desc, RAM_GPA + avail,
			  RAM_GPA + used, features) != VIRTQ_OK)
		return 0;

	enum dev d = (enum dev)((h.flags >> F_DEV_SHIFT) % DEVS);
	if (d == DEV_CON_RX || d == DEV_NET_RX) {
		host_input(d);
		serve_rx(d, &vq);
		host_drain();
		return 0;
	}
	/* At most a queue's worth of chains, as one worker wake-up takes
	 * (virtq__drain): the guest may put its avail ring where the device's
	 * own writes (used entries, filled buffers) land, so that every push
	 * makes more entries pending, and only that bound ends the loop. */
	uint16_t used_before = vq.used_idx;
	int popped = 0, r = 0;
	while (popped < qsize && (r = virtq__pop(&vq, &chain)) == 1) {
		popped++;
		check_chain(&vq, &chain);
		uint32_t len = handle(d, &chain);
		ASSERT(len <= chain.wr_bytes);
		virtq__push(&vq, chain.head, len);
		virtq__should_notify(&vq);
	}
	ASSERT(r >= 0 || vq.err != VIRTQ_OK);
	ASSERT((uint16_t)(vq.used_idx - used_before) == popped);
	if (r == -1)
		ASSERT(virtq__pop(&vq, &chain) == -1);
	host_drain();
	return 0;
}

#ifdef FUZZ_DRIVER
/* Deterministic inputs (also for hosts without libFuzzer), structure-aware so that
 * walks get deep before they fail: aligned rings at the start of RAM, an
 * avail idx near the valid range, descriptor tables (one main, one that
 * indirect descriptors point to) of records with mostly plausible flags,
 * lengths and next indexes, pointing at buffers that begin with plausible
 * virtio-blk headers. Every field is wrong now and then. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

#define IN_DESC     0x0000
#define IN_AVAIL    0x1000
#define IN_USED     0x1800
#define IN_INDIRECT 0x2000
#define IN_BUFS     0x4000 /* 16 buffers of 0x400 bytes */

static struct virtq_desc random_desc(unsigned qsize)
{
	static const uint32_t lens[] = { 16, 1, 512, 1024, 17, 513 };
	struct virtq_desc d = {
		.addr = RAM_GPA + IN_BUFS + 0x400 * (rnd() % 16) + rnd() % 2 * 16,
		.len = lens[rnd() % 6],
		.flags = (uint16_t)(rnd() % 4),
		.next = (uint16_t)(rnd() % (qsize + 1)),
	};
	if (rnd() % 16 == 0) {
		d.flags = VIRTQ_DESC_F_INDIRECT;
		d.addr = RAM_GPA + IN_INDIRECT;
		d.len = 16 * (1 + rnd() % 8);
	}
	if (rnd() % 64 == 0)
		d.addr = rnd() % 2 ? rnd() : RAM_GPA + RAM_SIZE - rnd() % 64;
	if (rnd() % 64 == 0)
		d.len = (uint32_t)rnd();
	return d;
}

static size_t make_input(uint8_t *buf)
{
	uint8_t *r = buf + HDR;
	struct hdr h = {
		.size_log2 = (uint8_t)(rnd() % 9),
		.flags = (uint8_t)(rnd() & ~F_CLAMP_DESC),
		.desc = IN_DESC, .avail = IN_AVAIL, .used = IN_USED,
	};
	unsigned qsize = 1u << h.size_log2;

	if (rnd() % 32 == 0)
		h.desc += 8; /* misaligned */
	memcpy(buf, &h, sizeof(h));
	for (size_t i = 0; i < RAM_SIZE; i++)
		r[i] = (uint8_t)rnd();
	for (unsigned i = 0; i < qsize; i++) {
		struct virtq_desc d = random_desc(qsize);
		memcpy(r + IN_DESC + 16 * i, &d, 16);
	}
	for (unsigned i = 0; i < 8; i++) {
		struct virtq_desc d = random_desc(8);
		memcpy(r + IN_INDIRECT + 16 * i, &d, 16);
	}
	uint16_t avail[2 + 256 + 1] = { 0, (uint16_t)(rnd() % (qsize + 2)) };
	for (unsigned i = 0; i < qsize + 1; i++)
		avail[2 + i] = (uint16_t)(rnd() % (qsize + 1));
	if (rnd() % 64 == 0)
		avail[1] = (uint16_t)rnd();
	memcpy(r + IN_AVAIL, avail, 2 * (qsize + 3));
	memset(r + IN_USED, 0, 8 * qsize + 6);
	for (unsigned i = 0; i < 16; i++) {
		static const uint32_t types[] = { 0, 1, 4, 8, 11 };
		struct virtio_blk_req_hdr bh = {
			.type = types[rnd() % 5],
			.sector = rnd() % 8 ? rnd() % 70 : rnd(),
		};
		memcpy(r + IN_BUFS + 0x400 * i, &bh, sizeof(bh));
	}
	return HDR + RAM_SIZE;
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 20000;
	static uint8_t buf[HDR + RAM_SIZE];

	for (long i = 0; i < iterations; i++)
		LLVMFuzzerTestOneInput(buf, make_input(buf));
	printf("fuzz virtqueue: %ld inputs, no failure\n", iterations);
	return 0;
}
#endif
