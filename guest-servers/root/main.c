/* The root task: the first privileged task. It starts the system; with
 * "test" on the kernel command line it runs the in-guest test suite, with
 * "bench" the microbenchmarks, and ends the run through isa-debug-exit. */
#include "../lib/l4.h"
#include "root.h"

const struct l4_bootinfo *bootinfo;

int main(const struct l4_bootinfo *bi)
{
	bootinfo = bi;
	printf("root: started (thread %lx), cmdline \"%s\"\n", l4_myself(), bi->cmdline);
	if (cmdline_has(bi->cmdline, "test"))
		tests_run();
	if (cmdline_has(bi->cmdline, "bench"))
		bench_run();
	printf("root: system up\n");
	for (;;)
		l4_receive(L4_NILTHREAD + 1, L4_NEVER, NULL);
}
