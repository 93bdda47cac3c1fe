/* The programs the root task runs (programs.c): the boot configuration,
 * the loader, the pager of every program, the name service and the
 * resource hand-out of shared/mkvm/root.h, and restarts. */
#ifndef PROGRAMS_H
#define PROGRAMS_H

#include <mkvm/root.h>
#include "../lib/l4.h"

#define MAX_PROGS 16
#define MAX_PROG_PAGES 512      /* a program's default page limit */

enum prog_state { P_FREE, P_STARTING, P_RUNNING, P_ENDED };

struct prog_cfg {
	char name[MKVM_NAME_MAX];       /* its ELF in the boot module, and its name */
	char args[256];                 /* words the root task does not interpret */
	char when[32];                  /* start only with this kernel command-line word */
	bool restart, manual, dma, pci_admin, ecam, devmem;
	bool irq_msi;
	uint32_t pci_id;                /* vendor | device << 16 it may claim, or 0 */
	uint16_t io_port, io_count;     /* I/O ports it may map, if io_count */
	uint32_t max_pages;
};

/* Reads boot.cfg from the boot module and starts its programs (the
 * server thread of shared/mkvm/root.h runs from now on); the number of
 * programs started, or -1 after printing why. */
int programs_start(const struct l4_bootinfo *bi);
/* The server thread of shared/mkvm/root.h (0 before programs_start). */
extern uint64_t programs_server;
/* For the shell and gdb: the name of the program whose space is tid's, or
 * NULL; and the running programs' first threads. */
const char *program_name(uint64_t tid);
int programs_list(uint64_t *tid, const char **name, int max);
/* For the tests, from the root task's threads: has the program serving
 * name fault on purpose (MKVM_CRASH_*); starts the `manual` program name
 * with arg; 0, or -1 if there is no such program. */
int program_crash(const char *name, uint64_t how);
int program_run(const char *name, const char *arg);
/* How often the program named name has ended so far, and how the last
 * time: its exit status (0 on a fault) and the reason ("" on an exit);
 * -1 if there is no such program. */
int program_ends(const char *name, int *status, const char **why, uint64_t *addr);

#endif
