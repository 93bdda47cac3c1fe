/* Address spaces: page faults as IPC to the pager, map and recursive
 * flush through the mapping database, grant. */
#include "suite.h"

#define U(x) ((uint64_t)(x))
#define WIN_A 0x60000000ull
#define WIN_B 0x70000000ull

static volatile uint64_t result_a, result_b, peer;

/* Polls until *p == want (yielding), false after a generous while. */
static bool wait_eq(volatile uint64_t *p, uint64_t want)
{
	for (int i = 0; i < 200000; i++) {
		if (*p == want)
			return true;
		l4_yield();
	}
	return false;
}

static void pf_child(uint64_t arg)
{
	volatile uint64_t *p = (uint64_t *)(ANON_BASE + 0x5000);
	*p = 0x1234abcd;
	result_a = *p + arg;
	sleep_forever();
}

void t_pagefault(void)
{
	result_a = 0;
	uint64_t f0 = plog.faults;
	uint64_t c = thread_new_space(pf_child, 1);
	EXPECT(c, "cannot create a space");
	bool done = wait_eq(&result_a, 0x1234abce);
	thread_delete(c);
	EXPECT(done, "child never wrote through its fresh page (result %lx)", result_a);
	EXPECT(plog.faults > f0 + 2, "pager saw only %d faults", plog.faults - f0);
}

/* Receives a mapping at `win`, reads it, optionally passes it on to peer
 * (map or grant), then on command re-reads it (which faults once the
 * mapping is gone: the pager then leaves it unresolved). */
static void holder(uint64_t win, volatile uint64_t *result, unsigned pass)
{
	uint64_t *mr = l4_utcb()->mr, from;
	l4_utcb()->acceptor = L4_FPAGE(win, 12, L4_RWX);
	l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	*result = *(volatile uint64_t *)win;
	if (pass) {
		mr[0] = L4_TAG(0, 0, 2);
		mr[1] = win | pass;
		mr[2] = L4_FPAGE(win, 12, L4_RWX);
		l4_send(peer, L4_NEVER);
	}
	l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	*result = *(volatile uint64_t *)win + 1;
	sleep_forever();
}

static void holder_a(uint64_t pass) { holder(WIN_A, &result_a, pass); }
static void holder_b(uint64_t pass) { holder(WIN_B, &result_b, pass); }

static int send_item(uint64_t to, uint64_t page, unsigned type)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(0, 0, 2);
	mr[1] = page | type;
	mr[2] = L4_FPAGE(page, 12, L4_RWX);
	return l4_send(to, L4_NEVER);
}

/* Re-read command to t, which must then fault at win and be killed. */
static bool refaults(uint64_t t, uint64_t win)
{
	plog.last_tid = 0;
	l4_utcb()->mr[0] = L4_TAG(0, 0, 0);
	if (l4_send(t, L4_NEVER))
		return false;
	return wait_eq(&plog.last_tid, t) && (plog.last_addr & ~0xfffull) == win;
}

void t_map_flush(void)
{
	uint64_t page = page_alloc();
	EXPECT(page, "sigma0 gave no page");
	*(volatile uint64_t *)page = 0xfeedbeef;
	result_a = result_b = 0;
	plog.last_tid = 0;
	uint64_t b = thread_new_space(holder_b, 0);
	peer = b;
	uint64_t a = thread_new_space(holder_a, L4_ITEM_MAP);
	EXPECT(a && b, "cannot create spaces");
	EXPECT(!send_item(a, page, L4_ITEM_MAP), "map to A failed");
	EXPECT(wait_eq(&result_a, 0xfeedbeef), "A read %lx", result_a);
	EXPECT(wait_eq(&result_b, 0xfeedbeef), "B (mapped from A) read %lx", result_b);
	/* flush from the root: A's mapping and B's, derived from it, go */
	EXPECT(!l4_unmap(L4_FPAGE(page, 12, L4_RWX), 0), "unmap failed");
	EXPECT(*(volatile uint64_t *)page == 0xfeedbeef, "own mapping lost by a children-only flush");
	EXPECT(refaults(b, WIN_B), "B still reached the page after the flush (read %lx)", result_b);
	EXPECT(refaults(a, WIN_A), "A still reached the page after the flush (read %lx)", result_a);
	thread_delete(a);
	thread_delete(b);
}

void t_grant(void)
{
	uint64_t page = page_alloc();
	EXPECT(page, "sigma0 gave no page");
	*(volatile uint64_t *)page = 0xabcd0001;
	result_a = result_b = 0;
	plog.last_tid = 0;
	uint64_t b = thread_new_space(holder_b, 0);
	peer = b;
	uint64_t a = thread_new_space(holder_a, L4_ITEM_GRANT);
	EXPECT(a && b, "cannot create spaces");
	EXPECT(!send_item(a, page, L4_ITEM_MAP), "map to A failed");
	EXPECT(wait_eq(&result_a, 0xabcd0001), "A read %lx", result_a);
	EXPECT(wait_eq(&result_b, 0xabcd0001), "B (granted by A) read %lx", result_b);
	/* A granted its mapping away: it faults, B still has the page */
	EXPECT(refaults(a, WIN_A), "A still has the page after granting it");
	l4_utcb()->mr[0] = L4_TAG(0, 0, 0);
	EXPECT(!l4_send(b, L4_NEVER), "command to B failed");
	EXPECT(wait_eq(&result_b, 0xabcd0002), "B lost the granted page (%lx)", result_b);
	/* the granted mapping is still derived from the suite's page */
	plog.last_tid = 0;
	EXPECT(!l4_unmap(L4_FPAGE(page, 12, L4_RWX), 0), "unmap failed");
	thread_delete(a);
	thread_delete(b);
}

static volatile uint64_t lapic_read_done;

static void touch_lapic(uint64_t unused)
{
	(void)unused;
	(void)*(volatile uint32_t *)0xfee00030ull;   /* the kernel's local APIC */
	lapic_read_done = 1;
	sleep_forever();
}

void t_devmem(void)
{
	/* the kernel's own devices are nobody's to give: the toucher dies */
	lapic_read_done = 0;
	uint64_t t = thread_new_space(touch_lapic, 0);
	EXPECT(t, "cannot create a thread");
	for (int i = 0; i < 2000; i++)
		l4_yield();
	thread_delete(t);
	EXPECT(!lapic_read_done, "a user thread read the kernel's local APIC");
	uint64_t ecam = prog_info->ecam;
	if (!ecam) {
		test_skip("no PCI ECAM in the ACPI tables (not q35?)");
		return;
	}
	/* bus 0: 32 devices of 32 KiB of configuration space each */
	EXPECT(!root_map(L4_FPAGE(ecam, 20, L4_R | L4_W)), "sigma0 refused bus 0's ECAM");
	int found = 0;
	for (uint64_t dev = 0; dev < 32; dev++) {
		uint32_t id = *(volatile uint32_t *)(ecam + (dev << 15));
		if (id == 0xffffffffu)
			continue;
		EXPECT((id & 0xffff) != 0 && (id & 0xffff) != 0xffff, "device %d reads %x", dev, (uint64_t)id);
		printf("devmem: pci 00:%02x.0 vendor %x device %x (ECAM at %lx)\n",
		       (unsigned)dev, id & 0xffff, id >> 16, ecam);
		found++;
	}
	EXPECT(found, "no device on PCI bus 0");
}
