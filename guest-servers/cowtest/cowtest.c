/* A program for the copy-on-write tests (testsuite/t_cow.c), started by
 * them as `manual` programs of boot.cfg: two lines run this one ELF
 * (cowtest, and cowtest2 with elf=cowtest), so that two instances of it
 * run at once. It serves its own memory to the test suite (cowtest.h):
 * reads and writes of any of its addresses, and a copy of its space whose
 * first thread serves the same requests. After a copy it writes no
 * variable of its own: every page the tests see copied was copied for
 * one of their writes.
 *
 * Given arg=pair (boot.cfg's pair-a and pair-b, started with "pair" on the
 * command line), it instead runs PAIR_TICKS calls of pair_tick once both
 * instances have started, then pair_done, and ends: two programs that
 * run one text frame, for a debugger's breakpoint in one instance's text,
 * which must not stop the other (docs/gdb.md). */
#include "../lib/prog.h"
#include "cowtest.h"

/* Initialised data: each page its own, in the data segment. */
static uint64_t pages[COWTEST_PAGES][512] __attribute__((aligned(4096))) = {
	[0 ... COWTEST_PAGES - 1] = { COWTEST_MAGIC },
};

extern char image_end[];

static void serve(uint64_t unused);

static uint64_t copy(void)
{
	return space_copy(serve, MKVM_PROG_STACK_TOP - 8, 0);
}

/* Serves the requests of cowtest.h, with its message on the stack alone. */
static _Noreturn void serve_loop(void)
{
	uint64_t mr[4] = { 0 }, from;
	l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	for (;;) {
		uint64_t label = L4_TAG_LABEL(mr[0]);
		if (label == COWTEST_LAYOUT) {
			mr[1] = (uint64_t)pages;
			mr[2] = COWTEST_PAGES;
			mr[3] = (uint64_t)image_end;
		} else if (label == COWTEST_READ) {
			mr[1] = *(volatile uint64_t *)mr[1];
		} else if (label == COWTEST_WRITE) {
			*(volatile uint64_t *)mr[1] = mr[2];
		} else if (label == COWTEST_COPY) {
			mr[1] = copy();
		} else if (label == COWTEST_EXIT) {
			mr[0] = L4_TAG(0, 0, 0);
			l4_ipc_regs(from, L4_NILTHREAD, L4_TIMEOUTS(0, 0), mr, NULL);
			prog_exit(0);
		}
		mr[0] = L4_TAG(0, 3, 0);
		l4_ipc_regs(from, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	}
}

/* The first thread of a copy starts here (rdi: unused). */
static void serve(uint64_t unused)
{
	(void)unused;
	serve_loop();
}

#define PAIR_TICKS 3

volatile uint64_t pair_ticks;

__attribute__((noinline)) void pair_tick(void)
{
	pair_ticks++;
}

__attribute__((noinline)) void pair_done(void)
{
	__asm__ volatile("" ::: "memory");
}

/* pair-b calls pair-a, which answers: neither ticks before both run. */
static int pair_run(void)
{
	uint64_t mr[4] = { L4_TAG(0, 0, 0) }, peer;

	if (name_register(prog_info->name))
		return 1;
	if (!strcmp(prog_info->name, "pair-b")) {
		peer = name_lookup("pair-a", SERVER_TIMEOUT_US);
		if (!peer || l4_ipc_regs(peer, peer, L4_TIMEOUTS(L4_NEVER, L4_NEVER), mr, NULL))
			return 1;
	} else {
		if (l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &peer))
			return 1;
		mr[0] = L4_TAG(0, 0, 0);
		if (l4_ipc_regs(peer, L4_NILTHREAD, L4_TIMEOUTS(L4_NEVER, 0), mr, NULL))
			return 1;
	}
	for (int i = 0; i < PAIR_TICKS; i++)
		pair_tick();
	pair_done();
	printf("%s: %lu ticks\n", prog_info->name, (unsigned long)pair_ticks);
	return 0;
}

int main(void)
{
	if (!strcmp(prog_info->args, "pair"))
		return pair_run();
	if (name_register(prog_info->name))
		return 1;
	serve_loop();
}
