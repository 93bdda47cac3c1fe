/* Tests of the user-level system's isolation and restarts: the `hostile`
 * program (guest-servers/hostile/) tries what no program may, and each
 * virtio driver program faults on purpose and is started again while
 * everything else keeps running. */
#include <mkvm/blk.h>
#include <mkvm/console.h>
#include <mkvm/net.h>
#include <mkvm/pci.h>
#include <mkvm/rng.h>
#include "suite.h"

#define U(x) ((uint64_t)(x))

static volatile uint64_t sentinel __attribute__((aligned(4096))) = 0x1111;

static void sleep_us(uint64_t us) { l4_receive(l4_myself(), (uint32_t)us, NULL); }

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

/* The rest of the system kept running: the bus server and rng answer. */
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
