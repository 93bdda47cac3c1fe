/* The root task's side of the shell (a program of boot.cfg, started with
 * "shell" on the command line): its main thread answers the shell's
 * questions about the system (shared/mkvm/root.h, MKVM_SHELL_*), and
 * nobody else's: the threads of the root task and of the programs, the
 * kernel microbenchmarks (a run of the test suite), power off. */
#include <mkvm/testexit.h>
#include "root.h"

_Noreturn void shell_serve(void)
{
	uint64_t *mr = l4_utcb()->mr, from, space;
	bool can_exit = !sigma0_request(L4_IOFPAGE(MKVM_DEBUG_EXIT_PORT, 2));
	for (;;) {
		if (l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space))
			continue;
		const char *who = program_name(space);
		if (!who || strcmp(who, "shell"))
			continue;
		uint64_t label = L4_TAG_LABEL(mr[0]);
		if (label == MKVM_SHELL_THREADS) {
			uint64_t tid[31];
			const char *names[29];
			int n = programs_list(tid, names, 28);
			mr[2] = L4_ROOT_TID, mr[3] = L4_ROOT_TID;
			mr[4] = L4_SIGMA0_TID, mr[5] = L4_SIGMA0_TID;
			mr[6] = programs_server, mr[7] = L4_ROOT_TID;
			for (int i = 0; i < n; i++)
				mr[8 + 2 * i] = tid[i], mr[9 + 2 * i] = tid[i];
			mr[0] = L4_TAG(0, 1 + 2 * (3 + n), 0);
			mr[1] = 3 + (uint64_t)n;
		} else if (label == MKVM_SHELL_BENCH) {
			/* the test suite runs the kernel microbenchmarks */
			if (!program_run("testsuite", "bench"))
				programs_wait_for("testsuite");
			mr[0] = L4_TAG(0, 0, 0);
		} else if (label == MKVM_SHELL_CRASH && L4_TAG_U(mr[0]) >= 4) {
			char name[MKVM_NAME_MAX] = { 0 };
			memcpy(name, &mr[1], MKVM_NAME_MAX - 1);
			uint64_t ok = !program_crash(name, mr[4]);
			mr[0] = L4_TAG(ok ? MKVM_ROOT_OK : MKVM_ROOT_ERROR, 0, 0);
		} else if (label == MKVM_SHELL_EXIT && can_exit) {
			__asm__ volatile("outb %0, %1" :: "a"((uint8_t)MKVM_TEST_PASS), "Nd"((uint16_t)MKVM_DEBUG_EXIT_PORT));
		} else {
			mr[0] = L4_TAG(0, 0, 0);
		}
		l4_send(from, 0);
	}
}
