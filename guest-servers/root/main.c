/* The root task: the first privileged task. It reads the boot
 * configuration and starts its programs (programs.c), which are everything
 * else: drivers, the PCI bus server, the shell, the test suite. With
 * "exit" on the command line it ends a plain boot through isa-debug-exit
 * once the system is up (after the programs given `wait` have ended). */
#include <mkvm/testexit.h>
#include "root.h"

const struct l4_bootinfo *bootinfo;

int main(const struct l4_bootinfo *bi)
{
	bootinfo = bi;
	printf("root: started (thread %lx), cmdline \"%s\"\n", l4_myself(), bi->cmdline);
	if (programs_start(bi) < 0)
		printf("root: no programs started\n");
	programs_wait();
	printf("root: system up\n");
	if (cmdline_has(bi->cmdline, "shell"))
		shell_serve();
	if (cmdline_has(bi->cmdline, "exit") && !sigma0_request(L4_IOFPAGE(MKVM_DEBUG_EXIT_PORT, 2)))
		__asm__ volatile("outb %0, %1" :: "a"((uint8_t)MKVM_TEST_PASS), "Nd"((uint16_t)MKVM_DEBUG_EXIT_PORT));
	for (;;)
		l4_receive(L4_NILTHREAD + 1, L4_NEVER, NULL);
}
