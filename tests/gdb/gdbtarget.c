/* gdbtarget.elf: the guest the scripted gdb sessions debug (tests/gdb/).
 * It gives the script named things to stop at: a kernel-mode function
 * (gdb_kernel_func), a counter it writes (gdb_counter, for a watchpoint), a
 * known FS base, a function that runs at CPL3 (gdb_user_func, a stand-in
 * for a user-level server until the kernel exports its own), and a loop to
 * interrupt (gdb_spin). It passes when
 * the counter ends at its expected value, so a breakpoint left behind or a
 * corrupted register after detach fails the run. */
#include <mkvm/kdebug.h>
#include "guest.h"

#define MSR_FS_BASE	0xc0000100
#define GP		13

#define GDB_FS_BASE	0x5a5a0000ull	/* the script checks for this */

volatile uint64_t gdb_counter;
volatile uint64_t gdb_user_counter;
/* A debugger sets it to make us spin; in .data, not .bss, so that it may
 * be set at the first instruction, before boot.S clears .bss (monitor.gdb
 * does that where no breakpoint can stop the guest later). */
volatile uint64_t gdb_spin __attribute__((section(".data")));
volatile uint64_t gdb_spins;

/* A kernel description (shared/mkvm/kdebug.h) over two small tables, for
 * "monitor threads/spaces/space" (monitor.gdb): space 1 is this guest's own
 * page tables (set at start), space 2 has none to walk. */
struct gt_tcb {
	uint64_t id;
	uint32_t state;
	uint64_t space;
	uint8_t prio;
};
struct gt_space {
	uint64_t cr3;
	uint16_t pcid;
};
static struct gt_space gt_spaces[3] = { [2] = { 0x300000, 7 } };
static struct gt_tcb gt_tcbs[4] = {
	[1] = { (33ull << 16) | 1, MKVM_KDEBUG_T_READY,
		(uint64_t)&gt_spaces[1], 100 },
	[3] = { (40ull << 16) | 2, MKVM_KDEBUG_T_RECV_WAIT,
		(uint64_t)&gt_spaces[2], 254 },
};
__attribute__((used)) const struct mkvm_kdebug mkvm_kdebug_desc = {
	.magic = MKVM_KDEBUG_MAGIC, .version = MKVM_KDEBUG_VERSION,
	.size = sizeof(struct mkvm_kdebug),
	.threads = (uint64_t)gt_tcbs, .spaces = (uint64_t)gt_spaces,
	.nthreads = 4, .thread_stride = sizeof(struct gt_tcb),
	.nspaces = 3, .space_stride = sizeof(struct gt_space),
	.tcb_id = __builtin_offsetof(struct gt_tcb, id),
	.tcb_state = __builtin_offsetof(struct gt_tcb, state),
	.tcb_space = __builtin_offsetof(struct gt_tcb, space),
	.tcb_prio = __builtin_offsetof(struct gt_tcb, prio),
	.tcb_name = MKVM_KDEBUG_NONE,
	.space_cr3 = __builtin_offsetof(struct gt_space, cr3),
	.space_pcid = __builtin_offsetof(struct gt_space, pcid),
};

__attribute__((noinline)) void gdb_kernel_func(uint64_t n)
{
	gdb_counter += n;
}

/* Runs at CPL3; hlt then ends it with #GP. */
__attribute__((noinline)) void gdb_user_func(void)
{
	gdb_user_counter++;
	__asm__ volatile("hlt");
}

static int user_trap(struct trap_frame *f)
{
	if ((f->cs & 3) != 3)
		return 0;
	user_return(f->vector);
}

void test_main(struct hvm_start_info *si)
{
	uint64_t v;

	(void)si;
	gt_spaces[1].cr3 = read_cr3();
	wrmsr(MSR_FS_BASE, GDB_FS_BASE);
	for (uint64_t i = 1; i <= 3; i++)
		gdb_kernel_func(i);
	trap_hook = user_trap;
	v = user_run(gdb_user_func);
	trap_hook = 0;
	while (gdb_spin)		/* until the debugger interrupts and clears it */
		gdb_spins++;
	print("gdbtarget: counter %lu, user counter %lu, user trap %lu\n",
	      gdb_counter, gdb_user_counter, v);
	if (gdb_counter != 6 || gdb_user_counter != 1 || v != GP)
		fail("gdbtarget: wrong counters");
}
