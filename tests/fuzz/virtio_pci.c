/* Fuzz target for the virtio-pci transport (vmm/virtio/pci.c) and the PCI
 * core under it (vmm/pci/pci.c): a guest driver gone wrong.
 *
 * One virtio-rng device sits on the PCI bus over 64 KiB of guest RAM, with
 * its worker thread running. An input is that RAM's first bytes followed
 * by a program of 8-byte register accesses: config space (through the
 * core, so the capabilities, the VIRTIO_PCI_CAP_PCI_CFG window, BAR
 * sizing, moving and decoding), BAR 0 (common configuration, ISR, device
 * configuration, notifications) and the MSI-X table. Rings the program
 * sets up point into the RAM, so the worker walks what the input put
 * there. After each program the device is reset, which must bring every
 * register back (checked), and the transport's promises are checked on
 * the way: FEATURES_OK never stays set for features that were not
 * offered, a queue is enabled only with its rings inside RAM, NEEDS_RESET
 * is cleared only by a reset.
 *
 * Built like the other targets (tests/fuzz/fuzz.mk): libFuzzer with
 * clang, and with -DFUZZ_DRIVER under gcc's sanitizers, where main()
 * feeds it deterministic structure-aware programs. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "io.h"
#include "pci/pci.h"
#include "virtio/pci.h"
#include "virtio/rng.h"

#define RAM_GPA  0x100000ull
#define RAM_SIZE 0x10000ull
#define RAM_IN   0x2000      /* input bytes copied into RAM */

#define ASSERT(c)                                                          \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "fuzz: %s:%d: %s\n", __FILE__,     \
				__LINE__, #c);                             \
			abort();                                           \
		}                                                          \
	} while (0)

#define CC(f) offsetof(struct virtio_pci_common_cfg, f)

static uint8_t *ram;
static struct virtio_mem mem;
static struct virtio_pci vp;
static struct io_bus io;
static struct pci_bus pci;
static struct irq_router irq = { .lock = PTHREAD_MUTEX_INITIALIZER };
static uint64_t bar0, msix_bar;
static unsigned long live_inputs, broken_inputs; /* how deep inputs got */

enum op_kind { OP_CFG, OP_BAR, OP_MSIX, OP_COMMON, OP_NOTIFY, OP_KINDS };

/* One access: kind, size (1 << (n % 4)), read/write, offset, value. */
struct op {
	uint8_t kind, size, write, pad;
	uint16_t off;
	uint16_t val_lo;
};

static void setup(void)
{
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(ram != MAP_FAILED);
	virtio_mem__add(&mem, RAM_GPA, RAM_SIZE, ram);
	ASSERT(pci__init(&pci, &io, &irq) == 0);
	ASSERT(virtio_pci__init(&vp, &virtio_rng__ops, &pci, NULL, NULL, &mem) == 0);
	bar0 = pci__bar_address(&vp.pci, VIRTIO_PCI_BAR);
	msix_bar = pci__bar_address(&vp.pci, VIRTIO_PCI_MSIX_BAR);
}

static uint64_t bar_rw(uint64_t base, uint64_t off, uint32_t len, bool w, uint64_t v)
{
	io__access(&io, NULL, IO_MMIO, base + off, (uint8_t *)&v, len, w);
	return v;
}

/* Values that make sense for the register at off most of the time. */
static uint64_t plausible(const struct op *o)
{
	uint64_t v = o->val_lo;

	switch (o->off % 64) {
	case CC(queue_desc): case CC(queue_driver): case CC(queue_device):
		return RAM_GPA + (v % RAM_SIZE);
	case CC(queue_size):
		return 1u << (v % 10);
	case CC(device_status):
		return v & 0xff;
	default:
		return v;
	}
}

static void run_op(const struct op *o)
{
	uint32_t len = 1u << (o->size % 4);
	bool w = o->write & 1;

	switch (o->kind % OP_KINDS) {
	case OP_CFG: {
		uint32_t v = o->val_lo | (uint32_t)o->pad << 16;
		if (len > 4)
			len = 4;
		/* Keep BAR 0 where the program can find it, mostly. */
		if (w && (o->off & 0xfc) == 0x10 && !(o->pad & 1))
			v = (uint32_t)bar0;
		pci__cfg_access(&pci, vp.pci.slot, 0, o->off & 0xff, (uint8_t *)&v, len, w);
		break;
	}
	case OP_BAR:
		bar_rw(pci__bar_address(&vp.pci, VIRTIO_PCI_BAR),
		       o->off % VIRTIO_PCI_BAR_SIZE, len, w, o->val_lo);
		break;
	case OP_MSIX:
		bar_rw(msix_bar, o->off % 0x1000, len > 4 ? 4 : len, w, o->val_lo);
		break;
	case OP_COMMON:
		bar_rw(bar0, o->off % 64, len, w, plausible(o));
		break;
	case OP_NOTIFY:
		bar_rw(bar0, VIRTIO_PCI_NOTIFY + 4 * (o->off % 2), 2, true, 0);
		break;
	}
}

static void check_state(void)
{
	pthread_mutex_lock(&vp.lock);
	if (vp.status & VIRTIO_STATUS_FEATURES_OK)
		ASSERT(!(vp.driver_features & ~((1ull << VIRTIO_F_VERSION_1) |
						(1ull << VIRTIO_F_EVENT_IDX) |
						(1ull << VIRTIO_F_INDIRECT_DESC))) &&
		       (vp.driver_features & (1ull << VIRTIO_F_VERSION_1)));
	for (int i = 0; i < vp.ops->num_queues; i++) {
		const struct virtio_pci_queue *q = &vp.q[i];

		if (!q->enabled)
			continue;
		ASSERT(virtio_mem__ptr(&mem, q->desc, 16u * q->size));
		ASSERT(virtio_mem__ptr(&mem, q->driver, 6u + 2u * q->size));
		ASSERT(virtio_mem__ptr(&mem, q->device, 6u + 8u * q->size));
	}
	pthread_mutex_unlock(&vp.lock);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ram)
		setup();
	size_t n = size < RAM_IN ? size : RAM_IN;
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data, n);
	bool needs_reset = false;
	for (size_t off = n; off + sizeof(struct op) <= size; off += sizeof(struct op)) {
		struct op o;

		memcpy(&o, data + off, sizeof(o));
		run_op(&o);
		uint8_t after = (uint8_t)bar_rw(bar0, CC(device_status), 1, false, 0);
		/* NEEDS_RESET goes only with a reset (status 0). */
		if (needs_reset && after)
			ASSERT(after & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		needs_reset = after & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
		check_state();
	}
	pthread_mutex_lock(&vp.lock);
	live_inputs += (vp.status & VIRTIO_STATUS_DRIVER_OK) && vp.q[0].enabled;
	broken_inputs += !!(vp.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	pthread_mutex_unlock(&vp.lock);
	/* Back to a known place: BAR 0 and decoding as assigned, then reset. */
	uint32_t b = (uint32_t)bar0, cmd = 0x6;
	pci__cfg_access(&pci, vp.pci.slot, 0, 0x10, (uint8_t *)&b, 4, true);
	pci__cfg_access(&pci, vp.pci.slot, 0, 0x04, (uint8_t *)&cmd, 2, true);
	bar_rw(bar0, CC(device_status), 1, true, 0);
	ASSERT(bar_rw(bar0, CC(device_status), 1, false, 0) == 0);
	ASSERT(!vp.q[0].enabled && !vp.q[0].ioeventfd);
	return 0;
}

#ifdef FUZZ_DRIVER
/* Programs in the shape of a driver's initialisation (acknowledge, features,
 * queue set-up with rings in RAM, enable, DRIVER_OK, notify) with every
 * step now and then wrong, mixed with random config and BAR accesses;
 * RAM holds descriptors that point into it with random flags. */
static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static size_t put(uint8_t *p, uint8_t kind, uint8_t size, bool w, uint16_t off, uint16_t v)
{
	struct op o = { kind, size, w, (uint8_t)rnd(), off, v };

	memcpy(p, &o, sizeof(o));
	return sizeof(o);
}

static size_t make_input(uint8_t *buf, size_t cap)
{
	size_t n = RAM_IN;

	for (size_t i = 0; i < RAM_IN; i += 16) {
		struct virtq_desc d = {
			.addr = RAM_GPA + rnd() % RAM_IN, .len = (uint32_t)(rnd() % 4096),
			.flags = (uint16_t)(rnd() % 8), .next = (uint16_t)(rnd() % 16),
		};
		memcpy(buf + i, &d, sizeof(d));
	}
	static const uint16_t seq[][2] = {
		{ CC(device_status), 1 }, { CC(device_status), 3 },
		{ CC(driver_feature_select), 1 }, { CC(driver_feature), 1 },
		{ CC(device_status), 11 }, { CC(queue_select), 0 },
		{ CC(queue_size), 3 }, { CC(queue_desc), 0 }, { CC(queue_driver), 0x400 },
		{ CC(queue_device), 0x800 }, { CC(queue_msix_vector), 1 },
		{ CC(queue_enable), 1 }, { CC(device_status), 15 },
	};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]) && n + 8 <= cap; i++) {
		uint16_t v = seq[i][1];
		if (rnd() % 16 == 0)
			v = (uint16_t)rnd();
		/* Sizes from the common configuration's field widths. */
		uint8_t sz = seq[i][0] == CC(device_status) ? 0 :
			     seq[i][0] >= CC(queue_desc) ? 3 :
			     seq[i][0] >= CC(queue_select) ? 1 : 2;
		n += put(buf + n, OP_COMMON, sz, true, seq[i][0], v);
	}
	for (int i = 0; i < 48 && n + 8 <= cap; i++) {
		switch (rnd() % 6) {
		case 0: n += put(buf + n, OP_NOTIFY, 1, true, (uint16_t)rnd(), 0); break;
		case 1: n += put(buf + n, OP_CFG, (uint8_t)rnd(), rnd() & 1,
				 (uint16_t)(rnd() % 256), (uint16_t)rnd()); break;
		case 2: n += put(buf + n, OP_MSIX, 2, rnd() & 1, (uint16_t)(rnd() % 64),
				 (uint16_t)rnd()); break;
		case 3: n += put(buf + n, OP_BAR, (uint8_t)rnd(), rnd() & 1,
				 (uint16_t)rnd(), (uint16_t)rnd()); break;
		default: n += put(buf + n, OP_COMMON, (uint8_t)rnd(), rnd() & 1,
				  (uint16_t)(rnd() % 64), (uint16_t)rnd()); break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 2000;
	static uint8_t buf[RAM_IN + 8 * 64];

	for (long i = 0; i < iterations; i++)
		LLVMFuzzerTestOneInput(buf, make_input(buf, sizeof(buf)));
	printf("fuzz virtio_pci: %ld inputs (%lu left the queue live, %lu broke it), "
	       "no failure\n", iterations, live_inputs, broken_inputs);
	return 0;
}
#endif
