/* The virtio-pci transport end to end, as a guest driver would use it:
 * capabilities in config space, feature negotiation, queue set-up through
 * the common configuration, a notification through the BAR, the worker
 * completing the request, MSI-X pending bits, DEVICE_NEEDS_RESET on a bad
 * ring, and reset. Guest accesses go through the I/O bus and the PCI core,
 * without KVM (no ioeventfd: the notify write traps). */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "io.h"
#include "buses.h"
#include "unit.h"
#include "virtio/pci.h"
#include "virtio/rng.h"
#include "virtio_fixture.h"

#define CC(f) offsetof(struct virtio_pci_common_cfg, f)

struct drv {
	struct fx f;
	struct virtio_pci vp;
	uint64_t bar;
};

static uint64_t rd(struct drv *d, uint64_t off, uint32_t len)
{
	uint64_t v = 0;

	io__access(&test_io, NULL, IO_MMIO, d->bar + off, (uint8_t *)&v, len, false);
	return v;
}

static void wr(struct drv *d, uint64_t off, uint32_t len, uint64_t v)
{
	io__access(&test_io, NULL, IO_MMIO, d->bar + off, (uint8_t *)&v, len, true);
}

static uint32_t cfg_rd(struct drv *d, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	pci__cfg_access(&test_pci, d->vp.pci.slot, 0, off, (uint8_t *)&v, len, false);
	return v;
}

/* Waits up to 2 s for the worker to change *p away from `old`. */
static bool wait_change(volatile uint16_t *p, uint16_t old)
{
	for (int i = 0; i < 2000 && *p == old; i++)
		usleep(1000);
	return *p != old;
}

static bool wait_status(struct drv *d, uint8_t bit)
{
	for (int i = 0; i < 2000; i++) {
		if (rd(d, CC(device_status), 1) & bit)
			return true;
		usleep(1000);
	}
	return false;
}

static int start_dev(struct drv *d, const struct virtio_pci_ops *ops)
{
	memset(d, 0, sizeof(*d));
	if (fx_init(&d->f, 8, FX_FEATURES) != VIRTQ_OK || pci__init(&test_pci, &test_io, &test_irq))
		return -1;
	virtq__disable(&d->f.vq); /* the device owns the ring from here */
	if (virtio_pci__init(&d->vp, ops, &test_pci, NULL, NULL, &d->f.mem))
		return -1;
	d->bar = pci__bar_address(&d->vp.pci, VIRTIO_PCI_BAR);
	return d->bar ? 0 : -1;
}

static int start(struct drv *d)
{
	return start_dev(d, &virtio_rng__ops);
}

static void stop(struct drv *d)
{
	virtio_pci__exit(&d->vp);
	fx_fini(&d->f);
}

/* Feature negotiation and queue 0 set-up, as Linux's virtio_pci_modern. */
static void driver_init(struct drv *d, uint64_t features)
{
	wr(d, CC(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(d, CC(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(d, CC(driver_feature_select), 4, 0);
	wr(d, CC(driver_feature), 4, (uint32_t)features);
	wr(d, CC(driver_feature_select), 4, 1);
	wr(d, CC(driver_feature), 4, features >> 32);
	wr(d, CC(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				     VIRTIO_STATUS_FEATURES_OK);
	wr(d, CC(queue_select), 2, 0);
	wr(d, CC(queue_size), 2, 8);
	wr(d, CC(queue_msix_vector), 2, 1);
	wr(d, CC(queue_desc), 4, (uint32_t)FX_DESC);
	wr(d, CC(queue_desc) + 4, 4, FX_DESC >> 32);
	wr(d, CC(queue_driver), 8, FX_AVAIL);
	wr(d, CC(queue_device), 8, FX_USED);
	wr(d, CC(queue_enable), 2, 1);
	wr(d, CC(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				     VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

TEST(virtio_pci_identity_and_capabilities)
{
	static struct drv d; /* stays on the PCI bus after the test */
	int seen[6] = { 0 };

	REQUIRE(start(&d) == 0);
	CHECK(cfg_rd(&d, 0, 2) == VIRTIO_PCI_VENDOR_ID);
	CHECK(cfg_rd(&d, 2, 2) == VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_RNG);
	CHECK(cfg_rd(&d, 8, 1) == VIRTIO_PCI_REVISION_MODERN);
	for (uint32_t p = cfg_rd(&d, 0x34, 1), n = 0; p && n < 16;
	     p = cfg_rd(&d, p + 1, 1), n++) {
		if (cfg_rd(&d, p, 1) != VIRTIO_PCI_CAP_VNDR)
			continue;
		uint32_t type = cfg_rd(&d, p + 3, 1);
		REQUIRE(type < 6);
		seen[type]++;
		CHECK(cfg_rd(&d, p + 4, 1) == VIRTIO_PCI_BAR);
		if (type == VIRTIO_PCI_CAP_COMMON_CFG)
			CHECK(cfg_rd(&d, p + 8, 4) == VIRTIO_PCI_COMMON &&
			      cfg_rd(&d, p + 12, 4) == 56);
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			CHECK(cfg_rd(&d, p + 2, 1) == 20 &&
			      cfg_rd(&d, p + 16, 4) == VIRTIO_PCI_NOTIFY_MUL);
	}
	CHECK(seen[VIRTIO_PCI_CAP_COMMON_CFG] == 1 && seen[VIRTIO_PCI_CAP_ISR_CFG] == 1 &&
	      seen[VIRTIO_PCI_CAP_NOTIFY_CFG] == 1);
	CHECK(seen[VIRTIO_PCI_CAP_DEVICE_CFG] == 0); /* rng has no config */
	CHECK(seen[VIRTIO_PCI_CAP_PCI_CFG] == 1);
	CHECK(rd(&d, CC(num_queues), 2) == 1);
	stop(&d);
}

TEST(virtio_pci_feature_negotiation)
{
	static struct drv d; /* stays on the PCI bus after the test */

	REQUIRE(start(&d) == 0);
	wr(&d, CC(device_feature_select), 4, 1);
	CHECK(rd(&d, CC(device_feature), 4) & 1); /* VERSION_1 is bit 32 */
	wr(&d, CC(device_feature_select), 4, 0);
	CHECK(rd(&d, CC(device_feature), 4) & (1u << VIRTIO_F_EVENT_IDX));
	CHECK(rd(&d, CC(device_feature), 4) & (1u << VIRTIO_F_INDIRECT_DESC));
	wr(&d, CC(device_feature_select), 4, 2);
	CHECK(rd(&d, CC(device_feature), 4) == 0);

	/* Without VERSION_1, FEATURES_OK does not stick. */
	driver_init(&d, 1ull << VIRTIO_F_EVENT_IDX);
	CHECK(!(rd(&d, CC(device_status), 1) & VIRTIO_STATUS_FEATURES_OK));
	wr(&d, CC(device_status), 1, 0);
	CHECK(rd(&d, CC(device_status), 1) == 0);
	/* Nor with a feature that was not offered (bit 5). */
	driver_init(&d, (1ull << VIRTIO_F_VERSION_1) | (1ull << 5));
	CHECK(!(rd(&d, CC(device_status), 1) & VIRTIO_STATUS_FEATURES_OK));
	wr(&d, CC(device_status), 1, 0);
	driver_init(&d, FX_FEATURES);
	CHECK(rd(&d, CC(device_status), 1) & VIRTIO_STATUS_FEATURES_OK);
	CHECK(virtio_pci__features(&d.vp) == FX_FEATURES);
	stop(&d);
}

TEST(virtio_pci_request_through_notify)
{
	static struct drv d; /* stays on the PCI bus after the test */

	REQUIRE(start(&d) == 0);
	driver_init(&d, FX_FEATURES);
	REQUIRE(rd(&d, CC(queue_enable), 2) == 1);
	CHECK(rd(&d, CC(queue_size), 2) == 8);
	CHECK(rd(&d, CC(queue_desc), 8) == FX_DESC);
	CHECK(rd(&d, CC(queue_notify_off), 2) == 0);
	/* Enable MSI-X with every vector masked: interrupts become pending. */
	uint32_t msix = 0;
	for (uint32_t p = cfg_rd(&d, 0x34, 1); p; p = cfg_rd(&d, p + 1, 1))
		if (cfg_rd(&d, p, 1) == 0x11)
			msix = p;
	REQUIRE(msix);
	uint16_t ctl = 0x8000;
	pci__cfg_access(&test_pci, d.vp.pci.slot, 0, msix + 2, (uint8_t *)&ctl, 2, true);

	fx_set(fx_desc(&d.f, 0), FX_BUF, 32, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&d.f, 0);
	*(uint16_t *)&fx_avail(&d.f)->ring[8] = 0; /* used_event: interrupt at 1 */
	wr(&d, VIRTIO_PCI_NOTIFY, 2, 0);
	REQUIRE(wait_change(&fx_used(&d.f)->idx, 0));
	CHECK(fx_used(&d.f)->ring[0].id == 0 && fx_used(&d.f)->ring[0].len == 32);
	CHECK(d.vp.pci.msix_pending & (1ull << 1));
	CHECK(rd(&d, VIRTIO_PCI_ISR, 1) == VIRTIO_PCI_ISR_QUEUE);
	CHECK(rd(&d, VIRTIO_PCI_ISR, 1) == 0); /* reading cleared it */
	stop(&d);
}

TEST(virtio_pci_bad_ring_needs_reset)
{
	static struct drv d; /* stays on the PCI bus after the test */

	REQUIRE(start(&d) == 0);
	driver_init(&d, FX_FEATURES);
	wr(&d, CC(msix_config), 2, 0);
	CHECK(rd(&d, CC(msix_config), 2) == 0);
	wr(&d, CC(queue_msix_vector), 2, 7); /* only 2 vectors exist */
	CHECK(rd(&d, CC(queue_msix_vector), 2) == VIRTIO_MSI_NO_VECTOR);
	fx_set(fx_desc(&d.f, 0), FX_RAM + FX_RAM_SIZE, 32, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&d.f, 0);
	wr(&d, VIRTIO_PCI_NOTIFY, 2, 0);
	REQUIRE(wait_status(&d, VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	CHECK(rd(&d, CC(config_generation), 1) != 0);
	CHECK(rd(&d, VIRTIO_PCI_ISR, 1) & VIRTIO_PCI_ISR_CONFIG);
	CHECK(fx_used(&d.f)->idx == 0);
	/* Reset: everything back to its initial value, then usable again. */
	wr(&d, CC(device_status), 1, 0);
	CHECK(rd(&d, CC(device_status), 1) == 0);
	CHECK(rd(&d, CC(queue_enable), 2) == 0);
	CHECK(rd(&d, CC(queue_size), 2) == VIRTQ_DEV_SIZE_MAX);
	CHECK(rd(&d, CC(queue_msix_vector), 2) == VIRTIO_MSI_NO_VECTOR);
	memset(fx_avail(&d.f), 0, 0x100);
	fx_set(fx_desc(&d.f, 0), FX_BUF, 32, VIRTQ_DESC_F_WRITE, 0);
	driver_init(&d, FX_FEATURES);
	fx_offer(&d.f, 0);
	wr(&d, VIRTIO_PCI_NOTIFY, 2, 0);
	CHECK(wait_change(&fx_used(&d.f)->idx, 0));
	stop(&d);
}

TEST(virtio_pci_bad_queue_address_needs_reset)
{
	static struct drv d; /* stays on the PCI bus after the test */

	REQUIRE(start(&d) == 0);
	wr(&d, CC(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(&d, CC(queue_select), 2, 0);
	wr(&d, CC(queue_size), 2, 8);
	wr(&d, CC(queue_desc), 8, FX_RAM + FX_RAM_SIZE - 64); /* 128 bytes needed */
	wr(&d, CC(queue_driver), 8, FX_AVAIL);
	wr(&d, CC(queue_device), 8, FX_USED);
	wr(&d, CC(queue_enable), 2, 1);
	CHECK(rd(&d, CC(queue_enable), 2) == 0);
	CHECK(rd(&d, CC(device_status), 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* Out-of-range queue select reads as an absent queue. */
	wr(&d, CC(queue_select), 2, 5);
	CHECK(rd(&d, CC(queue_size), 2) == 0);
	stop(&d);
}

static void cfg_wr(struct drv *d, uint32_t off, uint32_t len, uint32_t v)
{
	pci__cfg_access(&test_pci, d->vp.pci.slot, 0, off, (uint8_t *)&v, len, true);
}

/* One access through the VIRTIO_PCI_CAP_PCI_CFG window at cap p. */
static uint32_t window(struct drv *d, uint32_t p, uint32_t bar, uint32_t off,
		       uint32_t len, bool is_write, uint32_t v)
{
	uint32_t data = p + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	cfg_wr(d, p + 4, 1, bar);
	cfg_wr(d, p + 8, 4, off);
	cfg_wr(d, p + 12, 4, len);
	if (is_write) {
		cfg_wr(d, data, 4, v);
		return 0;
	}
	return cfg_rd(d, data, 4);
}

TEST(virtio_pci_cfg_window)
{
	static struct drv d; /* stays on the PCI bus after the test */
	uint32_t p;

	REQUIRE(start(&d) == 0);
	for (p = cfg_rd(&d, 0x34, 1); p; p = cfg_rd(&d, p + 1, 1))
		if (cfg_rd(&d, p, 1) == VIRTIO_PCI_CAP_VNDR &&
		    cfg_rd(&d, p + 3, 1) == VIRTIO_PCI_CAP_PCI_CFG)
			break;
	REQUIRE(p);
	CHECK(cfg_rd(&d, p + 2, 1) == sizeof(struct virtio_pci_cfg_cap));
	/* Reads of 2 and 4 bytes, and the fields the driver set stay set. */
	CHECK(window(&d, p, 0, CC(num_queues), 2, false, 0) == 1);
	CHECK(cfg_rd(&d, p + 8, 4) == CC(num_queues) && cfg_rd(&d, p + 12, 4) == 2);
	window(&d, p, 0, CC(device_feature_select), 4, true, 1);
	CHECK(rd(&d, CC(device_feature_select), 4) == 1);
	CHECK(window(&d, p, 0, CC(device_feature), 4, false, 0) & 1); /* VERSION_1 */
	/* A one-byte write, as a driver sets the status. */
	window(&d, p, 0, CC(device_status), 1, true, VIRTIO_STATUS_ACKNOWLEDGE);
	CHECK(rd(&d, CC(device_status), 1) == VIRTIO_STATUS_ACKNOWLEDGE);
	/* Invalid selections: reads give 0, writes go nowhere. */
	CHECK(window(&d, p, 0, CC(num_queues), 3, false, 0) == 0);
	CHECK(window(&d, p, 0, CC(num_queues) + 1, 2, false, 0) == 0);
	CHECK(window(&d, p, VIRTIO_PCI_MSIX_BAR, 0, 4, false, 0) == 0);
	CHECK(window(&d, p, 0, VIRTIO_PCI_BAR_SIZE, 4, false, 0) == 0);
	window(&d, p, 0, CC(device_status), 3, true, 0);
	CHECK(rd(&d, CC(device_status), 1) == VIRTIO_STATUS_ACKNOWLEDGE);
	/* The rest of the capability stays read-only. */
	cfg_wr(&d, p + 3, 1, 0);
	CHECK(cfg_rd(&d, p + 3, 1) == VIRTIO_PCI_CAP_PCI_CFG);
	wr(&d, CC(device_status), 1, 0);
	stop(&d);
}

/* A device with a host fd, like virtio-console's input eventfd or
 * virtio-net's backend: poll_ready consumes the fd's event. */
static int host_fd = -1;
static int host_polls;

static int hostfd_queue_notify(struct virtio_pci *vp, int q)
{
	return virtio_pci__drain(vp, q, virtio_rng__handle, NULL);
}

static int hostfd_poll_fd(struct virtio_pci *vp)
{
	(void)vp;
	return host_fd;
}

static int hostfd_poll_ready(struct virtio_pci *vp)
{
	uint64_t count;

	(void)vp;
	host_polls++;
	return read(host_fd, &count, sizeof(count)) < 0 ? 0 : 1;
}

static const struct virtio_pci_ops hostfd_ops = {
	.name = "virtio-hostfd", .device_id = VIRTIO_ID_RNG, .class_code = 0xff0000,
	.num_queues = 1, .queue_notify = hostfd_queue_notify,
	.poll_fd = hostfd_poll_fd, .poll_ready = hostfd_poll_ready,
};

static double thread_cpu_ms(pthread_t t)
{
	clockid_t id;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &id) || clock_gettime(id, &ts))
		return -1;
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A device in DEVICE_NEEDS_RESET must not busy-poll a host fd it no
 * longer serves: the worker stays asleep while host input waits. */
TEST(virtio_pci_needs_reset_does_not_spin)
{
	static struct drv d; /* stays on the PCI bus after the test */

	host_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	REQUIRE(host_fd >= 0);
	REQUIRE(start_dev(&d, &hostfd_ops) == 0);
	driver_init(&d, FX_FEATURES);
	fx_set(fx_desc(&d.f, 0), FX_RAM + FX_RAM_SIZE, 32, VIRTQ_DESC_F_WRITE, 0);
	fx_offer(&d.f, 0);
	wr(&d, VIRTIO_PCI_NOTIFY, 2, 0);
	REQUIRE(wait_status(&d, VIRTIO_STATUS_DEVICE_NEEDS_RESET));
	uint64_t one = 1;
	REQUIRE(write(host_fd, &one, sizeof(one)) == sizeof(one));
	double before = thread_cpu_ms(d.vp.worker);
	usleep(300 * 1000);
	double used = thread_cpu_ms(d.vp.worker) - before;
	CHECK(before >= 0 && used < 30);
	CHECK(host_polls == 0);
	/* After a reset and DRIVER_OK the host input is served again. */
	wr(&d, CC(device_status), 1, 0);
	memset(fx_avail(&d.f), 0, 0x100);
	driver_init(&d, FX_FEATURES);
	for (int i = 0; i < 2000 && !host_polls; i++)
		usleep(1000);
	CHECK(host_polls == 1);
	stop(&d);
	close(host_fd);
}

/* The queue's ioeventfd follows BAR 0 when the guest moves it, and goes
 * away while memory decoding is off (without a VM only the bookkeeping of
 * what would be registered with KVM is done). */
TEST(virtio_pci_ioeventfd_follows_bar)
{
	static struct drv d; /* stays on the PCI bus after the test */
	struct virtio_pci_queue *q = &d.vp.q[0];

	REQUIRE(start(&d) == 0);
	driver_init(&d, FX_FEATURES);
	CHECK(q->ioeventfd && q->ioeventfd_addr == d.bar + VIRTIO_PCI_NOTIFY);
	uint32_t moved = (uint32_t)d.bar + 0x100000;
	cfg_wr(&d, 0x10, 4, moved);
	REQUIRE(pci__bar_address(&d.vp.pci, VIRTIO_PCI_BAR) == moved);
	CHECK(q->ioeventfd && q->ioeventfd_addr == moved + VIRTIO_PCI_NOTIFY);
	uint32_t cmd = cfg_rd(&d, 4, 2);
	cfg_wr(&d, 4, 2, cmd & ~2u); /* memory decoding off */
	CHECK(!q->ioeventfd);
	cfg_wr(&d, 4, 2, cmd);
	CHECK(q->ioeventfd && q->ioeventfd_addr == moved + VIRTIO_PCI_NOTIFY);
	cfg_wr(&d, 0x10, 4, (uint32_t)d.bar);
	wr(&d, CC(device_status), 1, 0);
	CHECK(!q->ioeventfd);
	stop(&d);
}

/* Runs fn with stderr going into a temporary file; returns how many lines
 * it wrote that contain `needle`. */
static int stderr_lines(void (*fn)(struct drv *), struct drv *d, const char *needle)
{
	char line[512];
	int saved = dup(2), n = 0;
	FILE *tmp = tmpfile();

	if (saved < 0 || !tmp)
		return -1;
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn(d);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	while (fgets(line, sizeof(line), tmp))
		n += strstr(line, needle) != NULL;
	fclose(tmp);
	return n;
}

static void bad_enable_cycles(struct drv *d)
{
	for (int i = 0; i < 1000; i++) {
		wr(d, CC(device_status), 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		wr(d, CC(queue_select), 2, 0);
		wr(d, CC(queue_size), 2, 3); /* not a power of two */
		wr(d, CC(queue_enable), 2, 1);
		wr(d, CC(device_status), 1, 0);
	}
}

/* A guest that breaks and resets its device in a loop gets a few lines
 * logged, not one per cycle. */
TEST(virtio_pci_guest_messages_rate_limited)
{
	static struct drv d; /* stays on the PCI bus after the test */

	REQUIRE(start(&d) == 0);
	int n = stderr_lines(bad_enable_cycles, &d, "device needs reset");
	CHECK(n >= 1 && n <= 10);
	stop(&d);
}

/* virtio-rng limited to 4 KiB a second (a burst of as much): of four 4 KiB
 * requests the first empties the bucket, the second starts on the first
 * token back (1/4096 s later) and leaves a second of debt, so the third
 * completes about a second later; the worker sleeps (no CPU) meanwhile. */
TEST(virtio_pci_rate_limited_device)
{
	static struct drv d; /* stays on the PCI bus after the test */

	REQUIRE(start(&d) == 0);
	virtio_pci__limit(&d.vp, &(struct rate_limit){ .bytes_per_s = 4096 });
	driver_init(&d, FX_FEATURES);
	for (uint16_t i = 0; i < 4; i++) {
		fx_set(fx_desc(&d.f, i), FX_BUF + 0x1000 * i, 4096, VIRTQ_DESC_F_WRITE, 0);
		fx_offer(&d.f, i);
	}
	double cpu0 = thread_cpu_ms(d.vp.worker);
	uint64_t t0 = ratelimit__now_ns();
	wr(&d, VIRTIO_PCI_NOTIFY, 2, 0);
	REQUIRE(wait_change(&fx_used(&d.f)->idx, 0));
	usleep(300 * 1000);
	CHECK(fx_used(&d.f)->idx == 2);
	CHECK(wait_change(&fx_used(&d.f)->idx, 2));
	uint64_t ms = (ratelimit__now_ns() - t0) / 1000000;
	CHECK(fx_used(&d.f)->idx == 3 && ms >= 900 && ms < 1900);
	CHECK(thread_cpu_ms(d.vp.worker) - cpu0 < 50);
	wr(&d, CC(device_status), 1, 0);
	stop(&d);
}
