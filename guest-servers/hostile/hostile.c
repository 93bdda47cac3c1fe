/* An unprivileged program that tries what no program may do: started by
 * the in-guest tests (t_isolation.c) as a `manual` program of boot.cfg,
 * with the attempt to make as its argument. Every attempt it survives
 * prints "hostile: <attempt>: refused (...)" or "hostile: <attempt>:
 * ALLOWED"; its exit status is the number of attempts that were allowed.
 * The attempts that touch memory it was never given end the program
 * instead, and the root task reports why. */
#include <mkvm/pci.h>
#include <mkvm/persist.h>
#include "../lib/prog.h"

static int allowed;

static void report(const char *what, bool refused, uint64_t code)
{
	if (refused) {
		printf("hostile: %s: refused (%lu)\n", what, code);
	} else {
		printf("hostile: %s: ALLOWED\n", what);
		allowed++;
	}
}

/* An IPC with a 100 ms timeout each way; the IPC error. */
static int call(uint64_t to, uint64_t *mr)
{
	l4_utcb()->acceptor = L4_COMPLETE;
	int err = l4_ipc_regs(to, to, L4_TIMEOUTS(100000, 100000), mr, NULL);
	l4_utcb()->acceptor = 0;
	return err;
}

static void sigma0(void)
{
	uint64_t mr[4] = { L4_TAG(L4_SIGMA0_ALLOC, 0, 0) };
	int err = call(L4_SIGMA0_TID, mr);
	report("sigma0 alloc", err != 0, (uint64_t)err);
	uint64_t req[4] = { L4_TAG(L4_SIGMA0_REQUEST, 1, 0), L4_FPAGE(0x800000, 12, L4_R | L4_W) };
	err = call(L4_SIGMA0_TID, req);
	report("sigma0 request of the root task's page", err != 0, (uint64_t)err);
	uint64_t pf[4] = { L4_TAG(L4_LABEL_PAGEFAULT, 2, 0), 0x800000 | L4_W, 0x400000 };
	err = call(L4_SIGMA0_TID, pf);
	report("a forged page fault to sigma0", err == L4_EMSG, (uint64_t)err);
}

/* Tries to reach the root task's memory; target: the address of a
 * variable of the root task's, which in this space is at most a page of
 * its own heap. */
static void memory(uint64_t target)
{
	int err = root_map(L4_FPAGE(0x800000, 12, L4_R | L4_W));
	report("map of the root task's RAM", err == MKVM_ROOT_EPERM, (uint64_t)err);
	uint64_t pa;
	err = dma_alloc(&pa) ? 0 : 1;
	report("a DMA page without dma", err != 0, (uint64_t)err);
	err = name_register("virtio-blk");
	report("registering another program's name", err == MKVM_ROOT_EPERM, (uint64_t)err);
	if (allowed)
		return;
	/* Its own heap, a fault, or nothing: never the root task's variable. */
	printf("hostile: writing 0xbadc0de to the root task's address %lx\n", target);
	*(volatile uint64_t *)target = 0xbadc0de;
	printf("hostile: that address is a page of its own here\n");
}

static void device(void)
{
	uint64_t bus = name_lookup("pci-bus", SERVER_TIMEOUT_US);
	uint64_t claim[4] = { L4_TAG(MKVM_PCI_CLAIM, 2, 0), 0xffffffff, MKVM_PCI_ANY_CLASS };
	int err = call(bus, claim);
	report("claim of any PCI function", !err && L4_TAG_LABEL(claim[0]) == MKVM_PCI_ERROR,
	       err ? (uint64_t)err : claim[1]);
	for (uint64_t h = 1; h <= 16; h++) {
		uint64_t map[4] = { L4_TAG(MKVM_PCI_MAP, 3, 0), h, 1, 0 };
		err = call(bus, map);
		if (err || L4_TAG_LABEL(map[0]) != MKVM_PCI_ERROR) {
			report("map of another driver's BAR", false, h);
			return;
		}
	}
	report("map of another driver's BAR (handles 1..16)", true, MKVM_PCI_EPERM);
	err = root_map(L4_FPAGE(0xb0000000, 12, L4_R | L4_W));
	report("map of the PCI ECAM", err == MKVM_ROOT_EPERM, (uint64_t)err);
	err = root_map(L4_FPAGE(0xfeb00000, 12, L4_R | L4_W));
	report("map of device memory", err == MKVM_ROOT_EPERM, (uint64_t)err);
	err = root_map(L4_IOFPAGE(0x3f8, 3));
	report("map of COM1's ports", err == MKVM_ROOT_EPERM, (uint64_t)err);
}

static void irq(void)
{
	int err = l4_irq_control(4, L4_IRQ_ATTACH);
	report("attach of IRQ 4", err == L4_EPERM, (uint64_t)err);
	uint64_t line, data, addr;
	err = l4_irq_attach_msi(L4_NILTHREAD, &line, &data, &addr);
	report("attach of an MSI line", err == L4_EPERM, (uint64_t)err);
	for (unsigned l = 0; l < L4_NIRQ + L4_NMSI; l++) {
		uint64_t mr[4] = { 0 };
		err = l4_ipc_regs(L4_IRQ_TID(l), L4_NILTHREAD, 0, mr, NULL);
		if (!err) {
			report("acknowledging another's interrupt line", false, l);
			return;
		}
	}
	report("acknowledging another's interrupt line (every line)", true, L4_ENOPARTNER);
}

/* Page tables on the kernel's account: a fresh heap page every 2 MiB,
 * each wanting a page table of its own. Its kernel memory limit (kmem=)
 * ends it before the heap does. */
static void kmem(void)
{
	for (uint64_t a = prog_info->heap_base; a < prog_info->heap_end; a += 2ull << 20)
		*(volatile uint8_t *)a = 1;
	report("page tables for the whole heap", false, 0);
}

/* IPC floods: the root task and the bus server asked 20,000 times each,
 * and 20,000 sends that nobody waits for. The system must go on. */
static void flood(void)
{
	uint64_t bus = name_lookup("pci-bus", SERVER_TIMEOUT_US);
	for (int i = 0; i < 20000; i++) {
		uint64_t mr[4] = { L4_TAG(MKVM_ROOT_LOOKUP, 3, 0), 0x6863757320746f6eull };
		l4_ipc_regs(prog_info->root, prog_info->root, L4_TIMEOUTS(100000, 100000), mr, NULL);
		uint64_t q[4] = { L4_TAG(MKVM_PCI_INFO, 1, 0), (uint64_t)i };
		l4_ipc_regs(bus, bus, L4_TIMEOUTS(100000, 100000), q, NULL);
		uint64_t z[4] = { L4_TAG(0x123, 0, 0) };
		l4_ipc_regs(L4_SIGMA0_TID, L4_NILTHREAD, 0, z, NULL);
	}
	printf("hostile: flood: 60,000 requests sent\n");
}

static uint64_t parse_hex(const char *s)
{
	uint64_t v = 0;
	for (; (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'); s++)
		v = v << 4 | (uint64_t)(*s <= '9' ? *s - '0' : *s - 'a' + 10);
	return v;
}

/* The persistence server's requests without a region of its own: a sync,
 * and a fault request as if from the root task (naming the test suite,
 * which has a region). */
static void persist(void)
{
	uint64_t srv = name_lookup("persist", SERVER_TIMEOUT_US);
	if (!srv) {
		printf("hostile: persist: no persistence server\n");
		allowed++;
		return;
	}
	uint64_t sync[4] = { L4_TAG(MKVM_PERSIST_SYNC, 0, 0) };
	int err = call(srv, sync);
	report("a sync without a region", !err && L4_TAG_LABEL(sync[0]) == MKVM_PERSIST_ERROR && sync[1] == MKVM_PERSIST_EPERM, sync[1]);
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(MKVM_PERSIST_FAULT, 6, 0);
	mr[1] = L4_W;
	mr[2] = 0;
	mr[3] = 1;
	memcpy(&mr[4], "testsuite\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
	err = call(srv, mr);
	report("a forged fault request", !err && L4_TAG_LABEL(mr[0]) == MKVM_PERSIST_ERROR && L4_TAG_T(mr[0]) == 0, mr[1]);
}

static uint8_t ret_in_data[16] = { 0xc3 };     /* ret */

int main(void)
{
	const char *a = prog_info->args;
	if (!strcmp(a, "sigma0"))
		sigma0();
	else if (!memcmp(a, "memory=", 7))
		memory(parse_hex(a + 7));
	else if (!strcmp(a, "device"))
		device();
	else if (!strcmp(a, "irq"))
		irq();
	else if (!strcmp(a, "kmem"))
		kmem();
	else if (!strcmp(a, "flood"))
		flood();
	else if (!strcmp(a, "persist"))
		persist();
	else if (!strcmp(a, "persist-touch"))
		*(volatile uint8_t *)MKVM_PERSIST_BASE = 1;     /* ends: it has no region */
	else if (!strcmp(a, "wx-text"))
		*(volatile uint8_t *)(uint64_t)main = 0xcc;     /* ends: text is read-execute */
	else if (!strcmp(a, "wx-data"))
		((void (*)(void))(uint64_t)ret_in_data)();       /* ends: data is not executable */
	else if (!strcmp(a, "wx-stack")) {
		volatile uint8_t ret[16] = { 0xc3 };
		((void (*)(void))(uint64_t)ret)();               /* ends: the stack is not executable */
	} else {
		printf("hostile: unknown attempt \"%s\"\n", a);
		return 100;
	}
	printf("hostile: %s: %d attempts allowed\n", a, allowed);
	return allowed;
}
