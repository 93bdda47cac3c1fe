/* Tests of the user-level system's isolation and restarts: the `hostile`
 * program (guest-servers/hostile/) tries what no program may, and each
 * virtio driver program faults on purpose and is started again while
 * everything else keeps running. */
#include <mkvm/blk.h>
#include <mkvm/console.h>
#include <mkvm/net.h>
#include <mkvm/pci.h>
#include <mkvm/rng.h>
#include <mkvm/virtio.h>
#include "suite.h"

#define U(x) ((uint64_t)(x))

static volatile uint64_t sentinel __attribute__((aligned(4096))) = 0x1111;

static void sleep_us(uint64_t us) { l4_receive(l4_myself(), (uint32_t)us, NULL); }

static void sleep_forever_fn(void) { sleep_forever(); }

/* Deletes every thread of space's space (and the spaces it made). */
static void thread_control_whole(uint64_t space)
{
	l4_thread_control_flags(space, L4_NILTHREAD, L4_NILTHREAD, 0, 0, L4_TC_WHOLE_SPACE);
}

/* Runs `hostile` with arg and waits for it to end: its status, why and
 * the fault address (program_ends); false if it did not end in time. */
static bool hostile(const char *arg, int *status, uint64_t *why, uint64_t *addr)
{
	int ends = program_ends("hostile", status, why, addr);
	if (ends < 0 || program_run("hostile", arg))
		return false;
	for (uint64_t t0 = l4_clock_us(); l4_clock_us() - t0 < SERVER_TIMEOUT_US; sleep_us(1000))
		if (program_ends("hostile", status, why, addr) > ends)
			return true;
	return false;
}

int hostile_run(const char *arg, int *status, uint64_t *why, uint64_t *addr)
{
	return hostile(arg, status, why, addr) ? 0 : -1;
}

/* A run whose attempts must all be refused, the program exiting 0. */
static void refused_all(const char *arg)
{
	int status;
	uint64_t why;
	uint64_t addr;
	EXPECT(hostile(arg, &status, &why, &addr), "hostile %s did not run or did not end", arg);
	EXPECT(why == MKVM_END_EXIT, "hostile %s ended: how %lu, at %lx", arg, why, addr);
	EXPECT(status == 0, "hostile %s: %d attempts were allowed (see its lines)", arg, U(status));
}

void t_isolation_sigma0(void) { refused_all("sigma0"); }

static bool others_alive(void);

/* IPC floods at the root task, the bus server and sigma0: afterwards
 * the root task still names, and the bus server still answers. */
void t_isolation_flood(void)
{
	refused_all("flood");
	EXPECT(name_lookup("pci-bus", 0), "the root task no longer finds pci-bus");
	others_alive();
}
void t_isolation_device(void) { refused_all("device"); }
void t_isolation_irq(void) { refused_all("irq"); }

void t_isolation_memory(void)
{
	int status;
	uint64_t why;
	uint64_t addr;
	/* "memory=ADDR": the address of a variable of ours it tries to write */
	char arg[32] = "memory=";
	uint64_t a = (uint64_t)&sentinel;
	for (int i = 0; i < 16; i++)
		arg[7 + i] = "0123456789abcdef"[a >> (60 - 4 * i) & 15];
	EXPECT(hostile(arg, &status, &why, &addr), "hostile memory did not run or did not end");
	EXPECT(status == 0 && (why == MKVM_END_EXIT || (why == MKVM_END_FAULT && (addr & ~0xfffull) == a)),
	       "hostile memory ended with status %d, how %lu, at %lx", U(status), why, addr);
	EXPECT(sentinel == 0x1111, "our memory changed: %lx", sentinel);
}

/* Kernel memory is accounted to the space it is used for and to the
 * spaces above it, with a limit: an unprivileged program that makes the
 * kernel allocate page tables is ended at its limit (boot.cfg kmem=), and
 * a child space of ours with a limit of 24 pages gets L4_ENOMEM for its
 * threads while the kernel has plenty; what it held comes back. */
void t_isolation_kmem(void)
{
	int status;
	uint64_t why, addr;
	EXPECT(hostile("kmem", &status, &why, &addr), "hostile kmem did not run or did not end");
	EXPECT(why == MKVM_END_KMEM, "hostile kmem ended with status %d, how %lu at %lx, not at its limit",
	       U(status), why, addr);
	for (int round = 0; round < 2; round++) {
		uint64_t space = tid_fresh();
		int err = l4_thread_control_kmem(space, space, rpager_tid, 0x3000, 0, 0, 24);
		EXPECT(!err, "round %d: a space with a limit of 24 kernel pages: error %d", U(round), U(err));
		int made = 1;
		for (; made < 16; made++) {
			err = l4_thread_control(tid_fresh(), space, rpager_tid, 0x3000 + 0x1000ull * made);
			if (err)
				break;
		}
		uint64_t mine = thread_new_local(sleep_forever_fn, 0);
		thread_control_whole(space);
		EXPECT(err == L4_ENOMEM && made >= 2 && made < 16,
		       "round %d: %d threads in 24 kernel pages, then error %d", U(round), U(made), U(err));
		EXPECT(mine, "round %d: no thread of our own while the limited space was full", U(round));
		thread_delete(mine);
		printf("isolation-kernel-memory: %d threads fit in 24 kernel pages, then L4_ENOMEM\n", made);
	}
}

void t_wx_user_pages(void)
{
	static const struct { const char *arg; uint64_t why; } runs[] = {
		{ "wx-text", MKVM_END_WRITE_RO },
		{ "wx-data", MKVM_END_EXEC_NX },
		{ "wx-stack", MKVM_END_EXEC_NX },
	};
	for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		int status;
		uint64_t why;
		uint64_t addr;
		EXPECT(hostile(runs[i].arg, &status, &why, &addr), "hostile %s did not run or end", runs[i].arg);
		EXPECT(why == runs[i].why, "hostile %s: ended with status %d, how %lu at %lx, not how %lu",
		       runs[i].arg, U(status), why, addr, runs[i].why);
	}
}

void t_names(void)
{
	uint64_t *mr = l4_utcb()->mr;
	uint64_t bus = name_lookup("pci-bus", SERVER_TIMEOUT_US);
	EXPECT(bus && bus != l4_myself(), "pci-bus looked up as %lx", bus);
	EXPECT(!name_lookup("no-such-server", 0), "a name nobody serves was found");
	EXPECT(name_register("pci-bus") == MKVM_ROOT_EPERM, "the test suite registered another program's name");
	EXPECT(name_lookup("pci-bus", 0) == bus, "pci-bus moved");
	/* a malformed request */
	mr[0] = L4_TAG(MKVM_ROOT_LOOKUP, 1, 0);
	int err = l4_call(prog_info->root);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_ROOT_ERROR && mr[1] == MKVM_ROOT_EINVAL,
	       "a lookup without a name: error %x, label %x", U(err), L4_TAG_LABEL(mr[0]));
}

/* ---- restarts ---- */

static uint8_t page[4096] __attribute__((aligned(4096)));

static int call(uint64_t srv, uint64_t label, unsigned u, uint64_t w1, uint64_t w2)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(label, u, 0);
	mr[1] = w1;
	mr[2] = w2;
	return l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
}

/* Has driver name fault (how), checks that a request to the old instance
 * gets an IPC error and that a new instance serves under the name; the
 * new instance's thread, or 0 after test_fail. */
static uint64_t restart(const char *name, uint64_t how, uint64_t label)
{
	int status;
	uint64_t why;
	uint64_t addr, old = name_lookup(name, SERVER_TIMEOUT_US);
	int ends = program_ends(name, &status, &why, &addr);
	if (!old || ends < 0) {
		test_skip("the driver is not running (no device)");
		return 0;
	}
	if (program_crash(name, how)) {
		test_fail("the root task did not pass on the crash order to %s", name);
		return 0;
	}
	int err = call(old, label, 0, 0, 0);
	if (!err) {
		test_fail("a request to the crashed instance %lx was answered", old);
		return 0;
	}
	uint64_t now = name_lookup(name, SERVER_TIMEOUT_US);
	int ends2 = program_ends(name, &status, &why, &addr);
	if (!now || now == old || ends2 != ends + 1 || why != MKVM_END_FAULT) {
		test_fail("after the crash: server %lx (was %lx), ended %d times (was %d), how %lu at %lx", now, old,
			  U(ends2), U(ends), why, addr);
		return 0;
	}
	printf("%s: %lx faulted at %lx (IPC error %lx for the request in flight); %lx serves now\n",
	       name, old, addr, U(err), now);
	return now;
}

/* The rest of the system kept running: the bus server answers. */
static bool others_alive(void)
{
	uint64_t *mr = l4_utcb()->mr;
	uint64_t bus = name_lookup("pci-bus", 0);
	if (!bus || call(bus, MKVM_PCI_INFO, 1, 0, 0) || L4_TAG_LABEL(mr[0]) != MKVM_PCI_OK) {
		test_fail("the PCI bus server stopped answering");
		return false;
	}
	return true;
}

void t_restart_blk(void)
{
	uint64_t *mr = l4_utcb()->mr, srv = name_lookup("virtio-blk", SERVER_TIMEOUT_US);
	if (!srv) {
		test_skip("no virtio-blk driver (no device)");
		return;
	}
	for (unsigned i = 0; i < 512; i++)      /* first: only a page we have can be mapped on */
		page[i] = (uint8_t)(i * 7 + 3);
	EXPECT(!blk_setbuf(srv, (uint64_t)page) && L4_TAG_LABEL(mr[0]) == MKVM_BLK_OK, "setbuf failed");
	EXPECT(!blk_request(srv, MKVM_BLK_WRITE, 9, 1) && L4_TAG_LABEL(mr[0]) == MKVM_BLK_OK, "write failed");
	EXPECT(!blk_request(srv, MKVM_BLK_FLUSH, 0, 0) && L4_TAG_LABEL(mr[0]) == MKVM_BLK_OK, "flush failed");
	srv = restart("virtio-blk", MKVM_CRASH_WILD, MKVM_BLK_FLUSH);
	if (!srv)
		return;
	memset(page, 0, 512);
	EXPECT(!blk_setbuf(srv, (uint64_t)page) && L4_TAG_LABEL(mr[0]) == MKVM_BLK_OK, "setbuf after restart failed");
	EXPECT(!blk_request(srv, MKVM_BLK_READ, 9, 1) && L4_TAG_LABEL(mr[0]) == MKVM_BLK_OK, "read after restart failed");
	for (unsigned i = 0; i < 512; i++)
		EXPECT(page[i] == (uint8_t)(i * 7 + 3), "byte %d of the block written before the crash reads %x", U(i), U(page[i]));
	if (others_alive())
		printf("virtio-blk: the block written before the crash reads back after it\n");
}

void t_restart_rng(void)
{
	uint64_t *mr = l4_utcb()->mr, srv = restart("virtio-rng", MKVM_CRASH_NULL, MKVM_RNG_READ);
	if (!srv)
		return;
	EXPECT(!call(srv, MKVM_RNG_READ, 1, 16, 0) && L4_TAG_LABEL(mr[0]) == MKVM_RNG_OK && mr[1] >= 1,
	       "read after restart: label %x, n %lu", L4_TAG_LABEL(mr[0]), mr[1]);
	others_alive();
}

void t_restart_console(void)
{
	uint64_t *mr = l4_utcb()->mr, srv = restart("virtio-console", MKVM_CRASH_WILD, MKVM_CONSOLE_READ);
	if (!srv)
		return;
	const char msg[] = "virtio-console: written by a restarted driver\n";
	mr[0] = L4_TAG(MKVM_CONSOLE_WRITE, 1 + (sizeof(msg) - 1 + 7) / 8, 0);
	mr[1] = sizeof(msg) - 1;
	memcpy(&mr[2], msg, sizeof(msg) - 1);
	int err = l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_CONSOLE_OK, "write after restart: error %x, label %x",
	       U(err), L4_TAG_LABEL(mr[0]));
	others_alive();
}

void t_restart_net(void)
{
	uint64_t *mr = l4_utcb()->mr, srv = restart("virtio-net", MKVM_CRASH_NULL, MKVM_NET_MAC);
	if (!srv)
		return;
	EXPECT(!call(srv, MKVM_NET_MAC, 0, 0, 0) && L4_TAG_LABEL(mr[0]) == MKVM_NET_OK && mr[1],
	       "MAC after restart: label %x", L4_TAG_LABEL(mr[0]));
	others_alive();
}

/* ---- MSI-X tables and exception vectors ---- */

/* Where a claimed function's configuration page lands: a page of our own
 * image (never touched before), so that rpager maps it on to a child
 * space as we hold it. */
static uint8_t cfg_window[4096] __attribute__((aligned(4096)));
static volatile uint64_t child_wrote;

static int bus_request(uint64_t bus, uint64_t label, unsigned u, uint64_t w1, uint64_t w2, uint64_t w3,
		       uint64_t acceptor)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(label, u, 0);
	mr[1] = w1;
	mr[2] = w2;
	mr[3] = w3;
	l4_utcb()->acceptor = acceptor;
	int err = l4_ipc(bus, bus, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
	l4_utcb()->acceptor = 0;
	return err;
}

/* The offset of capability id in a configuration page, or 0. */
static unsigned pci_cap(const volatile uint8_t *cfg, uint8_t id)
{
	if (!(*(const volatile uint16_t *)(cfg + 6) & 0x10))
		return 0;
	unsigned n = 0;
	for (unsigned p = cfg[0x34] & ~3u; p && n < 48; p = cfg[p + 1] & ~3u, n++)
		if (cfg[p] == id)
			return p;
	return 0;
}

/* A child space (paged by rpager from our image) writes the interrupt
 * line register (0x3c) of the configuration page at cfg_window. */
static void cfg_writer(uint64_t unused)
{
	(void)unused;
	volatile uint8_t *r = cfg_window + 0x3c;
	*r = (uint8_t)(*r ^ 0x5a);
	child_wrote = 1;
	sleep_forever();
}

/* A driver gets its function's configuration page read-only and no page
 * of its MSI-X table: the test suite claims an unclaimed function (one
 * with MSI-X if there is one) and tries both. */
static void msix_table_refused(uint64_t bus)
{
	uint64_t *mr = l4_utcb()->mr, ecam = prog_info->ecam, pick = 0, pick_msix = 0;
	EXPECT(!root_map(L4_FPAGE(ecam, 20, L4_R | L4_W)), "the root task refused bus 0's ECAM");
	for (uint64_t i = 0; i < 64; i++) {
		int err = bus_request(bus, MKVM_PCI_INFO, 1, i, 0, 0, 0);
		if (err || L4_TAG_LABEL(mr[0]) != MKVM_PCI_OK)
			break;
		if (mr[4] || MKVM_PCI_BDF_BUS(mr[1]))
			continue;
		if (!pick)
			pick = mr[2];
		if (!pick_msix && pci_cap((const volatile uint8_t *)(ecam + (mr[1] << 12)), 0x11))
			pick_msix = mr[2];
	}
	if (pick_msix)
		pick = pick_msix;
	if (!pick) {
		test_skip("no unclaimed function on bus 0 to claim");
		return;
	}
	int err = bus_request(bus, MKVM_PCI_CLAIM, 2, pick, MKVM_PCI_ANY_CLASS, 0,
			      L4_FPAGE((uint64_t)cfg_window, 12, L4_R | L4_W));
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_PCI_OK && L4_TAG_T(mr[0]) == 2,
	       "claim of %x: error %x, label %x, code %lu", pick, U(err), L4_TAG_LABEL(mr[0]), mr[1]);
	uint64_t handle = mr[1], bar[6];
	for (unsigned i = 0; i < 6; i++)
		bar[i] = mr[5 + 2 * i];
	EXPECT(*(volatile uint32_t *)cfg_window == (uint32_t)pick, "the configuration page reads %x",
	       U(*(volatile uint32_t *)cfg_window));
	unsigned cap = pci_cap(cfg_window, 0x11);
	EXPECT(!pick_msix || cap, "the claimed function %x has no MSI-X capability", pick);
	if (cap) {
		uint32_t table = *(volatile uint32_t *)(cfg_window + cap + 4);
		uint32_t pba = *(volatile uint32_t *)(cfg_window + cap + 8);
		unsigned n = (*(volatile uint16_t *)(cfg_window + cap + 2) & 0x7ff) + 1;
		uint64_t first = table & ~7u, last = first + 16 * n - 1;
		EXPECT(!bus_request(bus, MKVM_PCI_MAP, 3, handle, table & 7, first, L4_COMPLETE) &&
		       L4_TAG_LABEL(mr[0]) == MKVM_PCI_ERROR && mr[1] == MKVM_PCI_EPERM,
		       "map of the MSI-X table's first page (BAR %lu + %lx): label %x, code %lu", U(table & 7),
		       first, L4_TAG_LABEL(mr[0]), mr[1]);
		EXPECT(!bus_request(bus, MKVM_PCI_MAP, 3, handle, table & 7, last, L4_COMPLETE) &&
		       L4_TAG_LABEL(mr[0]) == MKVM_PCI_ERROR && mr[1] == MKVM_PCI_EPERM,
		       "map of the MSI-X table's last page: label %x, code %lu", L4_TAG_LABEL(mr[0]), mr[1]);
		uint64_t p = pba & ~7u;
		bool apart = (pba & 7) != (table & 7) || (p >> 12 < first >> 12 || p >> 12 > last >> 12);
		if (apart)      /* the PBA's page holds none of the table: the driver may map it */
			EXPECT(!bus_request(bus, MKVM_PCI_MAP, 3, handle, pba & 7, p, L4_COMPLETE) &&
			       L4_TAG_LABEL(mr[0]) == MKVM_PCI_OK,
			       "map of the PBA's page (BAR %lu + %lx): label %x, code %lu", U(pba & 7), p,
			       L4_TAG_LABEL(mr[0]), mr[1]);
		/* the bus server routes entries only to the claimer's own MSI line: we have none */
		EXPECT(!bus_request(bus, MKVM_PCI_MSIX_ROUTE, 2, handle, 0, 0, 0) &&
		       L4_TAG_LABEL(mr[0]) == MKVM_PCI_ERROR && mr[1] == MKVM_PCI_EPERM,
		       "MSI-X route for a program without an MSI line: label %x, code %lu",
		       L4_TAG_LABEL(mr[0]), mr[1]);
		EXPECT(!bus_request(bus, MKVM_PCI_MSIX_ROUTE, 2, handle, n, 0, 0) &&
		       L4_TAG_LABEL(mr[0]) == MKVM_PCI_ERROR && mr[1] == MKVM_PCI_EINVAL,
		       "MSI-X route of entry %lu of %lu: label %x, code %lu", U(n), U(n),
		       L4_TAG_LABEL(mr[0]), mr[1]);
		printf("isolation-msi-vector: %04lx:%04lx: its MSI-X table (BAR %lu at %lx, %u entries) "
		       "cannot be mapped%s\n", pick & 0xffff, pick >> 16, U(table & 7),
		       U((bar[table & 7] & ~0xfull) + first), n, apart ? ", its PBA can" : "");
	}
	/* the configuration page: a child space's write kills it, the value stays */
	uint8_t before = cfg_window[0x3c];
	child_wrote = 0;
	plog.last_tid = 0;
	uint64_t child = thread_new_space(cfg_writer, 0);
	EXPECT(child, "cannot create a child space");
	for (uint64_t t0 = l4_clock_us(); l4_clock_us() - t0 < 200000 && !child_wrote;)
		sleep_us(1000);
	uint8_t after = cfg_window[0x3c];
	thread_delete(child);
	EXPECT(!child_wrote && after == before, "a child space wrote the configuration page "
	       "(interrupt line %x, now %x)", U(before), U(after));
	EXPECT(plog.last_tid == child && (plog.last_addr & ~0xfffull) == (uint64_t)cfg_window,
	       "the child's last fault: thread %lx at %lx", plog.last_tid, plog.last_addr);
	printf("isolation-msi-vector: %04lx:%04lx's configuration page is read-only to its claimer\n",
	       pick & 0xffff, pick >> 16);
}

/* Points virtio-rng's MSI-X entry 0 at vector 17 (the privileged test
 * suite may map any device memory) while the device holds an interrupt
 * for it: the kernel takes it on vector 17 (#AC, which has an error
 * code) and must go on. The driver never gets that interrupt, so it is
 * restarted after. */
static void msi_on_vector_17(uint64_t bus)
{
	uint64_t *mr = l4_utcb()->mr, ecam = prog_info->ecam, cfg = 0;
	const uint64_t rng_id = (uint64_t)(VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_RNG) << 16 | VIRTIO_PCI_VENDOR_ID;
	/* the driver serves from its first thread, whose id its space has */
	uint64_t rng = name_lookup("virtio-rng", SERVER_TIMEOUT_US);
	for (uint64_t i = 0; i < 64 && rng && !cfg; i++) {
		int err = bus_request(bus, MKVM_PCI_INFO, 1, i, 0, 0, 0);
		if (err || L4_TAG_LABEL(mr[0]) != MKVM_PCI_OK)
			break;
		if (mr[2] == rng_id && mr[4] == rng && !MKVM_PCI_BDF_BUS(mr[1]))
			cfg = ecam + (mr[1] << 12);
	}
	if (!cfg) {
		test_skip("no virtio-rng driving a device on bus 0 to send an MSI");
		return;
	}
	const volatile uint8_t *c = (const volatile uint8_t *)cfg;
	unsigned cap = pci_cap(c, 0x11);
	EXPECT(cap, "virtio-rng's function has no MSI-X capability");
	uint32_t table = *(volatile uint32_t *)(cfg + cap + 4), pba = *(volatile uint32_t *)(cfg + cap + 8);
	uint64_t base[2];
	for (unsigned k = 0; k < 2; k++) {
		unsigned b = (k ? pba : table) & 7;
		uint32_t lo = *(volatile uint32_t *)(cfg + 0x10 + 4 * b);
		base[k] = (lo & ~0xfull) + (k ? pba : table) - b;
		if ((lo & 6) == 4)
			base[k] += (uint64_t)*(volatile uint32_t *)(cfg + 0x14 + 4 * b) << 32;
		EXPECT(!root_map(L4_FPAGE(base[k] & ~0xfffull, 12, L4_R | L4_W)), "cannot map %lx", base[k]);
	}
	volatile uint32_t *e = (volatile uint32_t *)base[0], *pending = (volatile uint32_t *)base[1];
	uint32_t data = e[2];
	e[3] = 1;                               /* masked: an interrupt waits in the PBA */
	mr[0] = L4_TAG(MKVM_RNG_READ, 1, 0);
	mr[1] = 16;
	int err = l4_send(rng, SERVER_TIMEOUT_US);
	EXPECT(!err, "request to virtio-rng: error %x", U(err));
	uint64_t t0 = l4_clock_us();
	while (!(*pending & 1) && l4_clock_us() - t0 < SERVER_TIMEOUT_US)
		sleep_us(1000);
	EXPECT(*pending & 1, "virtio-rng raised no interrupt for its request");
	e[2] = (data & ~0xffu) | 17;
	e[3] = 0;                               /* sent now, on vector 17 */
	for (t0 = l4_clock_us(); (*pending & 1) && l4_clock_us() - t0 < 1000000;)
		sleep_us(1000);
	bool sent = !(*pending & 1);
	e[3] = 1;
	e[2] = data;
	e[3] = 0;
	EXPECT(sent, "the interrupt stayed pending after its entry was unmasked");
	printf("isolation-msi-vector: virtio-rng sent an MSI on vector 17; the kernel goes on\n");
	uint64_t srv = restart("virtio-rng", MKVM_CRASH_NULL, MKVM_RNG_READ);
	if (!srv)
		return;
	EXPECT(!call(srv, MKVM_RNG_READ, 1, 16, 0) && L4_TAG_LABEL(mr[0]) == MKVM_RNG_OK && mr[1] >= 1,
	       "read after restart: label %x, n %lu", L4_TAG_LABEL(mr[0]), mr[1]);
	others_alive();
}

void t_isolation_msi_vector(void)
{
	if (!prog_info->ecam) {
		test_skip("no PCI ECAM (no ACPI MCFG)");
		return;
	}
	uint64_t bus = pci_bus();
	EXPECT(bus, "no PCI bus server");
	msix_table_refused(bus);
	msi_on_vector_17(bus);
}
