/* syscall.elf: SYSCALL from CPL3 must arrive at CPL0, and SYSRET must come
 * back to CPL3. On a host that runs the handler at CPL3 (kvm_pvm, see
 * PLATFORM.md) the privileged instruction in the handler raises #GP, and we
 * say so. */
#include "guest.h"

#define MSR_EFER   0xc0000080
#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_SFMASK 0xc0000084
#define EFER_SCE   (1 << 0)
#define RFLAGS_TF  (1 << 8)
#define RFLAGS_IF  (1 << 9)
#define RFLAGS_DF  (1 << 10)
#define RFLAGS_AC  (1 << 18)

enum { SYS_PING, SYS_DONE };

static volatile int in_handler; /* nonzero while syscall_dispatch runs */

long syscall_dispatch(long nr, long arg);

/* A #GP from CPL3 inside the handler: SYSCALL did not raise privilege. */
static int handler_trap(struct trap_frame *f)
{
	if (!in_handler || (f->cs & 3) != 3 || f->vector != 13)
		return 0;
	print("syscall: arrived at CPL3 (#GP at rip 0x%lx in the SYSCALL handler)\n", f->rip);
	guest_exit(MKVM_TEST_FAIL);
}

static long do_syscall(long nr, long arg)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "D"(nr), "S"(arg) : "rcx", "r11", "memory");
	return ret;
}

/* Runs at CPL3: a round trip, then a report of what it saw after SYSRET. */
static void user_main(void)
{
	long pong = do_syscall(SYS_PING, 41);
	do_syscall(SYS_DONE, (long)read_cs() << 32 | (uint32_t)pong);
	for (;;)
		;
}

long syscall_dispatch(long nr, long arg)
{
	in_handler = 1;
	unsigned cs = read_cs();
	uint64_t cr3 = read_cr3(); /* privileged: #GP unless at CPL0 */
	if (cs != KERNEL_CS) {
		print("syscall: handler CS is 0x%x, expected 0x%x\n", cs, KERNEL_CS);
		guest_exit(MKVM_TEST_FAIL);
	}
	in_handler = 0;

	if (nr == SYS_PING) {
		print("syscall: CPL0 reached (CS 0x%x, cr3 0x%lx)\n", cs, cr3);
		return arg + 1;
	}
	unsigned user_cs = (uint64_t)arg >> 32, pong = (uint32_t)arg;
	if (user_cs != (USER_CS | 3) || pong != 42) {
		print("syscall: after sysret CS was 0x%x (expected 0x%x), return value %u (expected 42)\n",
		      user_cs, USER_CS | 3, pong);
		guest_exit(MKVM_TEST_FAIL);
	}
	print("syscall: CPL0 reached, sysret to CPL3 ok\n");
	guest_exit(MKVM_TEST_PASS);
}

void test_main(struct hvm_start_info *si)
{
	(void)si;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (uint64_t)(USER32_CS | 3) << 48 | (uint64_t)KERNEL_CS << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_AC);
	trap_hook = handler_trap;
	user_run(user_main);
	fail("syscall: user mode returned without SYS_DONE");
}
