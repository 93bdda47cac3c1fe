/* Kernel entry and resources: PCID choice, bad arguments, ring-3
 * privilege faults as exception IPC, I/O ports, interrupts as IPC. */
#include "suite.h"

#define U(x) ((uint64_t)(x))

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

void t_pcid(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	bool cpu_pcid = (c >> 17) & 1;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	bool cpu_invpcid = (b >> 10) & 1;
	uint64_t k = l4_kinfo();
	/* "nopcid" on the command line forces the fallback */
	bool want = cpu_pcid && !cmdline_has(prog_info->cmdline, "nopcid");
	printf("pcid: cpu has pcid=%d invpcid=%d; kernel uses %s\n", cpu_pcid, cpu_invpcid,
	       (k & L4_KINFO_PCID) ? ((k & L4_KINFO_INVPCID) ? "pcid+invpcid" : "pcid") : "cr3 reload");
	EXPECT(!!(k & L4_KINFO_PCID) == want, "kernel pcid=%d, cpu pcid=%d", U(!!(k & L4_KINFO_PCID)), U(cpu_pcid));
	EXPECT(!!(k & L4_KINFO_INVPCID) == (want && cpu_invpcid), "kernel invpcid choice wrong");
}

static volatile uint64_t child_err[4];

static void unprivileged(uint64_t arg)
{
	(void)arg;
	child_err[0] = l4_thread_control(L4_TID(500, 1), L4_TID(500, 1), L4_SIGMA0_TID, 0x5000);
	child_err[1] = l4_irq_control(4, L4_IRQ_ATTACH);
	child_err[2] = l4_schedule(l4_myself(), 255, 10);
	child_err[3] = 1;
	sleep_forever();
}

void t_syscall_bad(void)
{
	uint64_t me = l4_myself();
	EXPECT(l4_syscall(999, 0, 0, 0, 0, NULL, NULL) == L4_EINVAL, "unknown system call accepted");
	EXPECT(l4_syscall(L4_SYS_KDB_WRITE, 0xffffffff80100000ull, 16, 0, 0, NULL, NULL) == L4_EINVAL,
	       "kdb_write read kernel memory");
	EXPECT(l4_syscall(L4_SYS_KDB_WRITE, 0x7f0000000000ull, 16, 0, 0, NULL, NULL) == L4_EINVAL,
	       "kdb_write read unmapped memory");
	EXPECT(l4_unmap(L4_FPAGE(0, 5, L4_RWX), 0) == L4_EINVAL, "unmap accepted a 32-byte fpage");
	EXPECT(l4_unmap(L4_FPAGE(0x1000, 13, L4_RWX), 0) == L4_EINVAL, "unmap accepted a misaligned fpage");
	EXPECT(l4_thread_control(me, me, L4_SIGMA0_TID, 0x30000000) == L4_EINVAL, "re-created a live thread");
	EXPECT(l4_thread_control(L4_TID(5000, 1), me, L4_SIGMA0_TID, 0x30000000) == L4_EINVAL, "thread number out of range accepted");
	EXPECT(l4_thread_control(L4_TID(3, 1), me, L4_SIGMA0_TID, 0x30000000) == L4_EINVAL, "interrupt id accepted as a thread");
	EXPECT(l4_thread_control(L4_TID(600, 1), me, L4_SIGMA0_TID, 0x30000010) == L4_EINVAL, "misaligned UTCB accepted");
	EXPECT(l4_thread_control(L4_TID(600, 1), me, L4_SIGMA0_TID, 0xffff800000000000ull) == L4_EINVAL, "kernel-half UTCB accepted");
	child_err[0] = 1;                       /* this page is mapped now */
	uint64_t mapped = (uint64_t)&child_err[0] & ~0xfffull;
	EXPECT(l4_thread_control(L4_TID(600, 1), me, L4_SIGMA0_TID, mapped) == L4_EINVAL, "UTCB over mapped memory accepted");
	EXPECT(l4_exregs(L4_SIGMA0_TID, 0, 0) == L4_EINVAL, "exregs on another space's thread");
	EXPECT(l4_exregs(rpager_tid, 0x0000800000000000ull, ~0ull) == L4_EINVAL, "exregs set a non-canonical ip");
	EXPECT(l4_exregs(rpager_tid, 0xffff800000001000ull, ~0ull) == L4_EINVAL, "exregs set a kernel-half ip");
	EXPECT(l4_schedule(me, 300, 10) == L4_EINVAL, "priority 300 accepted");
	EXPECT(l4_irq_control(99, L4_IRQ_ATTACH) == L4_EINVAL, "irq line 99 accepted");
	EXPECT(l4_send(L4_ANYTHREAD, 0) == L4_ENOPARTNER, "send to the wildcard id");
	child_err[3] = 0;
	uint64_t c = thread_new_space(unprivileged, 0);
	EXPECT(c, "cannot create a space");
	for (int i = 0; i < 100000 && !child_err[3]; i++)
		l4_yield();
	thread_delete(c);
	EXPECT(child_err[3], "unprivileged child did not finish");
	EXPECT(child_err[0] == L4_EPERM && child_err[1] == L4_EPERM && child_err[2] == L4_EPERM,
	       "unprivileged thread_control/irq_control/schedule gave %d/%d/%d",
	       child_err[0], child_err[1], child_err[2]);
}

static volatile uint64_t resumed, reached;
static uint8_t resume_stack[4096] __attribute__((aligned(16)));

static void priv_resume(void)
{
	resumed++;
	sleep_forever();
}

static void priv_child(uint64_t which)
{
	switch (which) {
	case 0: __asm__ volatile("cli"); break;
	case 1: __asm__ volatile("mov %%cr3, %%rax" ::: "rax"); break;
	case 2: __asm__ volatile("hlt"); break;
	case 3: __asm__ volatile("inb $0x80, %%al" ::: "rax"); break;
	case 4: __asm__ volatile("wrmsr" :: "c"(0x10), "a"(0), "d"(0)); break;
	case 5: __asm__ volatile("int $0x80"); break;
	case 6: __asm__ volatile("ud2"); break;
	case 7: __asm__ volatile("mov %0, %%ds:(%1)" :: "r"(0ul), "r"(0xffffffff80100000ull)); break;
	}
	reached++;
	sleep_forever();
}

/* Runs priv_child(which) in a new space and returns the exception vector
 * its pager saw, or -1. */
static int64_t exception_of(uint64_t which)
{
	uint64_t e0 = plog.exceptions, r0 = resumed;
	plog.resume_ip = (uint64_t)priv_resume;
	plog.resume_sp = (uint64_t)resume_stack + sizeof(resume_stack) - 8;
	uint64_t c = thread_new_space(priv_child, which);
	if (!c)
		return -1;
	for (int i = 0; i < 100000 && resumed == r0 && !reached; i++)
		l4_yield();
	thread_delete(c);
	plog.resume_ip = 0;
	return plog.exceptions == e0 + 1 && resumed == r0 + 1 ? (int64_t)plog.exc_vector : -1;
}

/* A separate exception handler: records the exception, resumes the thread. */
static volatile uint64_t handler_vector, handler_from;

static void exc_server(void)
{
	uint64_t *mr = l4_utcb()->mr, from;
	for (;;) {
		if (l4_receive(L4_ANYTHREAD, L4_NEVER, &from))
			continue;
		if (L4_TAG_LABEL(mr[0]) != L4_LABEL_EXCEPTION)
			continue;
		handler_vector = mr[1];
		handler_from = from;
		mr[0] = L4_TAG(0, 2, 0);
		mr[1] = (uint64_t)priv_resume;
		mr[2] = (uint64_t)resume_stack + sizeof(resume_stack) - 8;
		l4_send(from, 0);
	}
}

static void exc_handler_test(void)
{
	handler_vector = handler_from = 0;
	uint64_t e0 = plog.exceptions, r0 = resumed;
	uint64_t h = thread_new_local(exc_server, 0);
	EXPECT(h, "cannot create the handler");
	uint64_t c = thread_new_exc(0, priv_child, 6 /* ud2 */, h);
	EXPECT(c, "cannot create a space");
	for (int i = 0; i < 100000 && resumed == r0; i++)
		l4_yield();
	thread_delete(c);
	thread_delete(h);
	EXPECT(handler_vector == 6 && handler_from == c, "handler saw vector %d from %lx", handler_vector, handler_from);
	EXPECT(plog.exceptions == e0, "the pager got the exception instead of the handler");
	EXPECT(resumed == r0 + 1, "the handler's reply did not resume the thread");
}

void t_privilege(void)
{
	static const char *what[] = { "cli", "mov cr3", "hlt", "in without I/O rights",
				      "wrmsr", "int 0x80", "ud2", "write to kernel memory" };
	static const int64_t want[] = { 13, 13, 13, 13, 13, 13, 6, -2 };
	reached = 0;
	for (uint64_t i = 0; i < 8; i++) {
		int64_t v = exception_of(i);
		if (want[i] == -2) {
			/* a kernel-address access is a page fault: the pager gets it,
			 * and, unresolved, exception 14 with the address */
			EXPECT(v == 14 && !reached && (plog.exc_addr & ~0xfffull) == 0xffffffff80100000ull,
			       "%s: was not a page fault to the pager", what[i]);
			continue;
		}
		EXPECT(v == want[i], "%s: pager saw vector %d, expected %d", what[i], U(v), U(want[i]));
		EXPECT(!reached, "%s executed in ring 3", what[i]);
	}
	exc_handler_test();
}

static volatile uint64_t io_val;

static void io_child(uint64_t arg)
{
	(void)arg;
	uint64_t from;
	l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	io_val = inb(0x80) + 1;                 /* granted port: works */
	reached++;
	__asm__ volatile("inb $0x81, %%al" ::: "rax");   /* not granted: #GP */
	reached++;
	sleep_forever();
}

void t_ioports(void)
{
	outb(0x80, 0x5a);                       /* ours from sigma0 */
	io_val = 0;
	reached = 0;
	uint64_t e0 = plog.exceptions, r0 = resumed;
	plog.resume_ip = (uint64_t)priv_resume;
	plog.resume_sp = (uint64_t)resume_stack + sizeof(resume_stack) - 8;
	uint64_t c = thread_new_space(io_child, 0);
	EXPECT(c, "cannot create a space");
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(0, 0, 2);
	mr[1] = L4_ITEM_MAP;
	mr[2] = L4_IOFPAGE(0x80, 0);
	int err = l4_send(c, L4_NEVER);
	for (int i = 0; i < 100000 && resumed == r0; i++)
		l4_yield();
	thread_delete(c);
	plog.resume_ip = 0;
	EXPECT(!err, "sending the I/O fpage failed: %d", U(err));
	EXPECT(io_val != 0 && reached == 1, "child could not use the granted port (reached %d)", reached);
	EXPECT(plog.exceptions == e0 + 1 && plog.exc_vector == 13, "ungranted port did not fault (%d exceptions)", plog.exceptions - e0);
}

void t_irq(void)
{
	const int line = 4;                     /* COM1 */
	uint64_t from = 0;
	EXPECT(l4_irq_control(line, L4_IRQ_ATTACH) == L4_OK, "attach failed");
	outb(0x3fc, inb(0x3fc) | 0x08);         /* OUT2: let the UART interrupt through */
	outb(0x3f9, 0x02);                      /* interrupt when the transmitter is empty */
	int err = l4_receive(L4_IRQ_TID(line), 1000000, &from);
	uint64_t tag = l4_utcb()->mr[0];
	outb(0x3f9, 0x00);
	(void)inb(0x3fa);
	EXPECT(!err, "no interrupt message within 1 s (error %x)", U(err));
	EXPECT(from == L4_IRQ_TID(line) && L4_TAG_LABEL(tag) == L4_LABEL_INTERRUPT,
	       "message from %lx, tag %lx", from, tag);
	/* masked until acknowledged; acknowledge by sending to the line */
	l4_utcb()->mr[0] = 0;
	err = l4_send(L4_IRQ_TID(line), 0);
	EXPECT(!err, "acknowledge failed: %x", U(err));
	err = l4_receive(L4_IRQ_TID(line), 20000, &from);
	EXPECT(err == (L4_ETIMEOUT | L4_E_RECV), "interrupt after the device stopped (%x)", U(err));
	EXPECT(l4_irq_control(line, L4_IRQ_DETACH) == L4_OK, "detach failed");
	err = l4_send(L4_IRQ_TID(line), 0);
	EXPECT(err == L4_ENOPARTNER, "acknowledge of a line we do not hold gave %x", U(err));
}

/* MSI: QEMU's "edu" teaching device (-device edu) raises an interrupt on
 * request; with its MSI capability programmed from L4_IRQ_ATTACH_MSI the
 * interrupt arrives as an IPC from the MSI line. */
#define EDU_ID 0x11e81234u

static uint64_t find_edu(uint64_t ecam)
{
	for (uint64_t dev = 0; dev < 32; dev++)
		if (*(volatile uint32_t *)(ecam + (dev << 15)) == EDU_ID)
			return ecam + (dev << 15);
	return 0;
}

void t_msi(void)
{
	uint64_t ecam = prog_info->ecam, cfg, line, data, addr;
	if (!ecam || root_map(L4_FPAGE(ecam, 20, L4_R | L4_W)) || !(cfg = find_edu(ecam))) {
		test_skip("no QEMU edu device on PCI bus 0 (add -device edu)");
		return;
	}
	volatile uint8_t *c8 = (volatile uint8_t *)cfg;
	volatile uint32_t *c32 = (volatile uint32_t *)cfg;
	uint64_t bar = c32[4] & ~0xfull;
	EXPECT(bar && !root_map(L4_FPAGE(bar, 20, L4_R | L4_W)), "cannot map the edu BAR at %lx", bar);
	volatile uint32_t *edu = (volatile uint32_t *)bar;
	EXPECT(edu[0] >> 16 == 0x0100 || (edu[0] & 0xff) == 0xed, "edu BAR reads id %x", (uint64_t)edu[0]);
	unsigned cap = c8[0x34];
	while (cap && c8[cap] != 0x05)
		cap = c8[cap + 1];
	EXPECT(cap, "edu has no MSI capability");
	int rax = l4_irq_attach_msi(L4_NILTHREAD, &line, &data, &addr);
	EXPECT(rax == L4_OK && line >= L4_NIRQ && line < L4_NIRQ + L4_NMSI, "attach MSI gave %d", rax);
	volatile uint16_t *ctl = (volatile uint16_t *)(cfg + cap + 2);
	bool is64 = *ctl & 0x80;
	*(volatile uint32_t *)(cfg + cap + 4) = (uint32_t)addr;
	if (is64)
		*(volatile uint32_t *)(cfg + cap + 8) = (uint32_t)(addr >> 32);
	*(volatile uint16_t *)(cfg + cap + (is64 ? 12 : 8)) = (uint16_t)data;
	*ctl = (*ctl & ~0x70) | 1;                  /* one vector, enabled */
	c32[1] |= 0x6;                              /* memory space, bus master */
	edu[0x60 / 4] = 1;                          /* raise an interrupt */
	uint64_t from = 0;
	int err = l4_receive(L4_IRQ_TID(line), 1000000, &from);
	edu[0x64 / 4] = 1;                          /* device-side acknowledge */
	l4_utcb()->mr[0] = 0;
	int ack = l4_send(L4_IRQ_TID(line), 0);
	*ctl &= ~1;
	l4_irq_control(line, L4_IRQ_DETACH);
	EXPECT(!err && from == L4_IRQ_TID(line), "no MSI message within 1 s (error %x, from %lx)", (uint64_t)err, from);
	EXPECT(!ack, "acknowledging the MSI line gave %x", (uint64_t)ack);
	printf("msi: edu interrupt arrived as IPC from line %lu (data %lx)\n", line, data);
}

/* kinfo-leaf: kinfo, answered without a kernel frame, returns L4_OK, the
 * flags, the tick length and a clock that advances; it leaves every other
 * register as it was, and rcx and r11 as SYSCALL left them (the address
 * after it, the flags). */
struct kinfo_regs {
	uint64_t rax, rdi, rsi, rdx, rcx, r11, ret, flags;
	uint64_t rbx, rbp, r8, r9, r10, r12, r13, r14, r15, rsp_before, rsp_after;
};

static void kinfo_raw(struct kinfo_regs *k)
{
	__asm__ volatile(
		"push %%rbx; push %%rbp; push %%r12; push %%r13; push %%r14; push %%r15; push %%rdi\n\t"
		"mov %%rsp, 136(%%rdi)\n\t"
		"mov $0xb0b0, %%rbx; mov $0xb9b9, %%rbp; mov $0x0808, %%r8; mov $0x0909, %%r9\n\t"
		"mov $0x1010, %%r10; mov $0x1212, %%r12; mov $0x1313, %%r13; mov $0x1414, %%r14\n\t"
		"mov $0x1515, %%r15; mov $8, %%eax; mov $0x5e5e, %%rsi; mov $0xd0d0, %%rdx\n\t"
		"pushfq; pop %%rcx; mov %%rcx, 56(%%rdi)\n\t"   /* the flags SYSCALL sees */
		"mov $0x3d3d, %%rdi\n\t"
		"syscall\n"
		"1:\txchg (%%rsp), %%rdi\n\t"              /* rdi: k; the result on the stack */
		"mov %%rsp, 144(%%rdi)\n\t"
		"mov %%rax, 0(%%rdi); pop %%rax; mov %%rax, 8(%%rdi)\n\t"
		"mov %%rsi, 16(%%rdi); mov %%rdx, 24(%%rdi); mov %%rcx, 32(%%rdi); mov %%r11, 40(%%rdi)\n\t"
		"lea 1b(%%rip), %%rax; mov %%rax, 48(%%rdi)\n\t"
		"mov %%rbx, 64(%%rdi); mov %%rbp, 72(%%rdi); mov %%r8, 80(%%rdi); mov %%r9, 88(%%rdi)\n\t"
		"mov %%r10, 96(%%rdi); mov %%r12, 104(%%rdi); mov %%r13, 112(%%rdi); mov %%r14, 120(%%rdi)\n\t"
		"mov %%r15, 128(%%rdi)\n\t"
		"pop %%r15; pop %%r14; pop %%r13; pop %%r12; pop %%rbp; pop %%rbx"
		: "+D"(k)
		:
		: "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
}

void t_kinfo_leaf(void)
{
	struct kinfo_regs a, b;
	kinfo_raw(&a);
	l4_receive(l4_myself(), 3000, NULL);   /* sleeps 3 ms: nobody answers */
	kinfo_raw(&b);
	EXPECT(a.rax == L4_OK, "kinfo returned %x", a.rax);
	EXPECT(offsetof(struct kinfo_regs, rsp_after) == 144, "struct kinfo_regs layout");
	EXPECT(a.rdi == l4_kinfo(), "the flags differ between calls: %x", a.rdi);
	EXPECT(a.rsi == 1000, "tick length %d us", a.rsi);
	EXPECT(a.rdx % a.rsi == 0 && b.rdx > a.rdx, "the clock read %d then %d us around a 3 ms sleep", a.rdx, b.rdx);
	EXPECT(a.rcx == a.ret, "rcx %x, not the address after SYSCALL %x", a.rcx, a.ret);
	EXPECT(a.r11 == a.flags, "r11 %x, not the flags before SYSCALL %x", a.r11, a.flags);
	EXPECT(a.rbx == 0xb0b0 && a.rbp == 0xb9b9 && a.r8 == 0x0808 && a.r9 == 0x0909 && a.r10 == 0x1010 &&
	       a.r12 == 0x1212 && a.r13 == 0x1313 && a.r14 == 0x1414 && a.r15 == 0x1515,
	       "a register kinfo does not return changed (rbx %x r8 %x r10 %x r15 %x)", a.rbx, a.r8, a.r10, a.r15);
	EXPECT(a.rsp_before == a.rsp_after, "rsp %x became %x", a.rsp_before, a.rsp_after);
}
