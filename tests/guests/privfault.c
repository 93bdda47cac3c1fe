/* privfault.elf: privileged instructions work at CPL0 and each raises #GP
 * (vector 13) at CPL3 with IOPL 0. */
#include "guest.h"

#define GP 13

static struct trap_frame last;

/* A trap from CPL3 ends the user_run in progress with its vector. */
static int user_trap(struct trap_frame *f)
{
	if ((f->cs & 3) != 3)
		return 0;
	last = *f;
	user_return(f->vector);
}

/* Each probe executes one privileged instruction; ud2 (#UD) after it marks
 * "did not fault". */
static void probe_mov_cr3(void) { __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3; ud2" : : : "rax"); }
static void probe_hlt(void)     { __asm__ volatile("hlt; ud2"); }
static void probe_cli(void)     { __asm__ volatile("cli; ud2"); }
static void probe_wrmsr(void)   { __asm__ volatile("xor %%eax, %%eax; xor %%edx, %%edx; mov $0xc0000102, %%ecx; wrmsr; ud2" : : : "rax", "rcx", "rdx"); }

static const struct {
	const char *name;
	void (*fn)(void);
} probes[] = {
	{ "mov cr3", probe_mov_cr3 },
	{ "hlt", probe_hlt },
	{ "cli", probe_cli },
	{ "wrmsr", probe_wrmsr },
};

void test_main(struct hvm_start_info *si)
{
	(void)si;
	uint64_t cr3 = read_cr3();
	write_cr3(cr3);
	print("privfault: CPL%u: mov cr3 ok (0x%lx)\n", read_cs() & 3, cr3);

	trap_hook = user_trap;
	int bad = 0;
	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t v = user_run(probes[i].fn);
		if (v == GP && last.error == 0) {
			print("privfault: CPL3: %s -> #GP ok\n", probes[i].name);
		} else {
			print("privfault: CPL3: %s -> vector %lu error 0x%lx at rip 0x%lx, expected #GP(0)\n",
			      probes[i].name, v, last.error, last.rip);
			bad = 1;
		}
	}
	trap_hook = 0;
	if (bad)
		fail("privfault: a privileged instruction did not fault at CPL3");
	print("privfault: all privileged instructions fault at CPL3\n");
}
