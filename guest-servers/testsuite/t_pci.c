/* Test of the PCI bus server (guest-servers/pci-bus/bus.c) through its IPC
 * protocol (shared/mkvm/pci.h). */
#include <mkvm/pci.h>
#include "suite.h"

#define U(x) ((uint64_t)(x))
#define WINDOW 0x5f000000ull    /* where a claimed configuration page lands */

/* One request with SERVER_TIMEOUT_US timeouts and a one-page window for
 * map items; the IPC error, or 0 with the reply in mr[]. */
static int bus_call(uint64_t bus)
{
	l4_utcb()->acceptor = L4_FPAGE(WINDOW, 12, L4_R | L4_W);
	int err = l4_ipc(bus, bus, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
	l4_utcb()->acceptor = 0;
	return err;
}

static bool refused(int err, const uint64_t *mr, uint64_t code)
{
	return !err && L4_TAG_LABEL(mr[0]) == MKVM_PCI_ERROR && mr[1] == code;
}

static uint64_t tester, bus_tid;

/* A thread of another space (which shares this image, not our info
 * page) asks to map a page of our claim, then to enable it. */
static void intruder(uint64_t handle)
{
	uint64_t *mr = l4_utcb()->mr, bus = bus_tid;
	mr[0] = L4_TAG(MKVM_PCI_MAP, 3, 0);
	mr[1] = handle;
	mr[2] = 0;
	mr[3] = 0;
	int err = bus_call(bus);
	bool ok = refused(err, mr, MKVM_PCI_EPERM);
	if (ok) {
		mr[0] = L4_TAG(MKVM_PCI_ENABLE, 1, 0);
		mr[1] = handle;
		err = bus_call(bus);
		ok = refused(err, mr, MKVM_PCI_EPERM);
	}
	mr[0] = L4_TAG(0, 2, 0);
	mr[2] = err ? (uint64_t)err : mr[1];
	mr[1] = ok;
	l4_send(tester, L4_NEVER);
	sleep_forever();
}

void t_pci_bus(void)
{
	uint64_t *mr = l4_utcb()->mr;
	if (!prog_info->ecam) {
		test_skip("no PCI ECAM (no ACPI MCFG)");
		return;
	}
	uint64_t bus = pci_bus();
	EXPECT(bus, "cannot start the PCI bus server");
	/* the list; pick a function whose id no other function has */
	uint64_t n = 0, pick = ~0ull, pick_id, ids[64], owners[64];
	for (;; n++) {
		mr[0] = L4_TAG(MKVM_PCI_INFO, 1, 0);
		mr[1] = n;
		int err = bus_call(bus);
		if (refused(err, mr, MKVM_PCI_ENODEV))
			break;
		EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_PCI_OK && L4_TAG_U(mr[0]) == 4,
		       "info %lu: error %x, label %x", n, U(err), L4_TAG_LABEL(mr[0]));
		EXPECT(n < 64, "more than 64 functions listed");
		printf("pci-bus: %02lx:%02lx.%lx %04lx:%04lx class %06lx%s\n", MKVM_PCI_BDF_BUS(mr[1]),
		       MKVM_PCI_BDF_DEV(mr[1]), MKVM_PCI_BDF_FN(mr[1]), mr[2] & 0xffff, mr[2] >> 16 & 0xffff,
		       mr[3] >> 8, mr[4] ? " (claimed)" : "");
		ids[n] = mr[2];
		owners[n] = mr[4];
	}
	EXPECT(n >= 1, "the bus server found no functions");
	for (uint64_t i = 0; i < n && pick == ~0ull; i++) {
		uint64_t same = 0;
		for (uint64_t k = 0; k < n; k++)
			same += ids[k] == ids[i];
		if (!owners[i] && same == 1)
			pick = i;
	}
	EXPECT(pick != ~0ull, "no unclaimed function with an id of its own to claim");
	pick_id = ids[pick];

	mr[0] = L4_TAG(MKVM_PCI_CLAIM, 2, 0);
	mr[1] = pick_id;
	mr[2] = MKVM_PCI_ANY_CLASS;
	int err = bus_call(bus);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_PCI_OK && L4_TAG_U(mr[0]) == MKVM_PCI_INFO_WORDS &&
	       L4_TAG_T(mr[0]) == 2, "claim %x: error %x, tag %x, code %lu", pick_id, U(err), mr[0], mr[1]);
	uint64_t handle = mr[1];
	EXPECT(mr[3] == pick_id, "claimed id %x, asked for %x", mr[3], pick_id);
	uint32_t seen = *(volatile uint32_t *)WINDOW;
	EXPECT(seen == pick_id, "mapped configuration page reads id %x, not %x", U(seen), pick_id);
	int membar = -1;
	for (int i = 5; i >= 0; i--)
		if (mr[6 + 2 * i] && !(mr[5 + 2 * i] & 1))
			membar = i;
	if (membar >= 0) {
		mr[0] = L4_TAG(MKVM_PCI_MAP, 3, 0);
		mr[1] = handle;
		mr[2] = (uint64_t)membar;
		mr[3] = 0;
		err = bus_call(bus);
		EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_PCI_OK && L4_TAG_T(mr[0]) == 2,
		       "map of BAR %lu: error %x, label %x, code %lu", U(membar), U(err), L4_TAG_LABEL(mr[0]), mr[1]);
	}

	mr[0] = L4_TAG(MKVM_PCI_ENABLE, 1, 0);
	mr[1] = handle;
	err = bus_call(bus);
	uint16_t cmd = *(volatile uint16_t *)(WINDOW + 4);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_PCI_OK && (cmd & 0x406) == 0x406,
	       "enable: error %x, label %x, command register %x", U(err), L4_TAG_LABEL(mr[0]), U(cmd));
	mr[0] = L4_TAG(MKVM_PCI_CLAIM, 2, 0);
	mr[1] = pick_id;
	mr[2] = MKVM_PCI_ANY_CLASS;
	err = bus_call(bus);
	EXPECT(refused(err, mr, MKVM_PCI_EBUSY), "second claim of %x: error %x, label %x, code %lu",
	       pick_id, U(err), L4_TAG_LABEL(mr[0]), mr[1]);

	tester = l4_myself();
	bus_tid = bus;
	uint64_t other = thread_new_space(intruder, handle), from = 0;
	EXPECT(other, "cannot create a thread in another space");
	err = l4_receive(other, SERVER_TIMEOUT_US, &from);
	uint64_t ok = mr[1], code = mr[2];
	thread_delete(other);
	EXPECT(!err && ok, "a map or enable by another space: error %x, IPC error or code %lu", U(err), code);

	struct { uint64_t label, u, w1, w2, w3, code; const char *what; } bad[] = {
		{ MKVM_PCI_CLAIM, 2, 0xbeefdead, MKVM_PCI_ANY_CLASS, 0, MKVM_PCI_ENODEV, "claim of no device" },
		{ MKVM_PCI_CLAIM, 1, 0xffffffff, 0, 0, MKVM_PCI_EINVAL, "claim without a class word" },
		{ MKVM_PCI_MAP, 3, 0, 0, 0, MKVM_PCI_EINVAL, "map of handle 0" },
		{ MKVM_PCI_MAP, 3, handle, 6, 0, MKVM_PCI_EINVAL, "map of BAR 6" },
		{ MKVM_PCI_MAP, 3, handle, 0, ~0ull, MKVM_PCI_EINVAL, "map beyond BAR 0" },
		{ MKVM_PCI_ENABLE, 1, 0, 0, 0, MKVM_PCI_EINVAL, "enable of handle 0" },
		{ MKVM_PCI_ENABLE, 0, handle, 0, 0, MKVM_PCI_EINVAL, "enable without a handle" },
		{ MKVM_PCI_MSIX_ROUTE, 2, 0, 0, 0, MKVM_PCI_EINVAL, "MSI-X route of handle 0" },
		{ MKVM_PCI_MSIX_ROUTE, 1, handle, 0, 0, MKVM_PCI_EINVAL, "MSI-X route without an entry" },
		{ MKVM_PCI_MSIX_ROUTE, 2, handle, 2048, 0, MKVM_PCI_EINVAL, "MSI-X route of entry 2048" },
		{ MKVM_PCI_INFO, 0, 0, 0, 0, MKVM_PCI_EINVAL, "info without an index" },
		{ MKVM_PCI_ERROR + 1, 0, 0, 0, 0, MKVM_PCI_EINVAL, "an unknown request" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mr[0] = L4_TAG(bad[i].label, bad[i].u, 0);
		mr[1] = bad[i].w1;
		mr[2] = bad[i].w2;
		mr[3] = bad[i].w3;
		err = bus_call(bus);
		EXPECT(refused(err, mr, bad[i].code), "%s: error %x, label %x, code %lu", bad[i].what,
		       U(err), L4_TAG_LABEL(mr[0]), mr[1]);
	}
	printf("pci-bus: %lu functions; %04lx:%04lx claimed, a second claim refused\n", n, pick_id & 0xffff,
	       pick_id >> 16);
}
