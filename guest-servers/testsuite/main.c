/* The test suite: a privileged program of boot.cfg (it controls the spaces
 * it creates and nothing else), started when the kernel command line has
 * one of its words and waited for by the root task. "test" runs the
 * in-guest tests (tests.c; the run ends through isa-debug-exit), "bench"
 * the kernel microbenchmarks, "benchblk" the block benchmark, "durable"
 * the durability run, "persist" the persistent-region disk runs. Started with an argument (the shell's bench), it
 * runs that one. */
#include "suite.h"

static const struct { const char *word; void (*run)(void); } modes[] = {
	{ "test", tests_run },
	{ "bench", bench_run },
	{ "benchblk", bench_blk_run },
	{ "durable", durable_run },
	{ "persist", persist_run },
};

extern char USER_BASE[], data_start[], image_end[];

int main(void)
{
	/* every page of the image mapped now, data and bss written (a data
	 * page is the image's shared frame until its first write copies
	 * it): kmem-recover exhausts the kernel's pool, and a page fault of
	 * ours meanwhile could not be served (the root task would find no
	 * frame for it) */
	for (volatile char *p = USER_BASE; p < data_start; p += 4096)
		(void)*p;
	for (volatile char *p = data_start; p < image_end; p += 4096)
		*p = *p;
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (prog_info->args[0] ? !strcmp(prog_info->args, modes[i].word)
				       : cmdline_has(prog_info->cmdline, modes[i].word))
			modes[i].run();
	return 0;
}
