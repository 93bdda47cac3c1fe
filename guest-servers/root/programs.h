/* The programs the root task runs (programs.c): the boot configuration,
 * the loader, the pager of every program, the name service and the
 * resource hand-out of shared/mkvm/root.h, and restarts. */
#ifndef PROGRAMS_H
#define PROGRAMS_H

#include <mkvm/persist.h>
#include <mkvm/root.h>
#include "../lib/l4.h"

#define MAX_PROGS 24
#define MAX_COPIES 8            /* spaces copied from programs (MKVM_ROOT_COPY) alive at once */
#define MAX_PROG_PAGES 1024     /* the largest page limit */
#define DEFAULT_PAGES 256       /* a program's page limit unless pages= says */
#define DEFAULT_KMEM 128        /* its kernel pages (page tables, threads) unless kmem= says */
#define MAX_IO 4

enum prog_state { P_FREE, P_STARTING, P_RUNNING, P_ENDED };

struct prog_cfg {
	char name[MKVM_NAME_MAX];       /* its name (and its ELF in the boot module unless elf is set) */
	char elf[MKVM_NAME_MAX];        /* elf=: the ELF it runs, if not its name */
	char args[256];                 /* words the root task does not interpret */
	char when[64];                  /* start with one of these kernel command-line words */
	bool restart, manual, dma, pci_admin, ecam, devmem;
	bool irq_msi, privileged, supervise, wait, pci_any, fork;
	bool zones;                     /* its ELF has zones (mkvm/zone.h, zones.c) */
	bool zones_kernel;              /* entered by kernel zone calls, else by call gates */
	uint32_t pci_id;                /* vendor | device << 16 it may claim, or 0 */
	unsigned nio;
	struct { uint16_t port, count; } io[MAX_IO];    /* I/O ports it may map */
	uint32_t max_pages;
	uint32_t kmem;                  /* its limit of kernel pages (0: none of its own) */
	uint32_t persist_pages;         /* persist=: its region at MKVM_PERSIST_BASE, or 0 */
};

/* config.c: calls add for each well-formed line of the configuration
 * text cfg (a malformed line is reported and skipped); does c start on
 * this command line? */
void config_parse(const char *cfg, uint64_t len, void (*add)(const struct prog_cfg *c, unsigned lineno));
bool config_autostart(const struct prog_cfg *c, const char *cmdline);

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
/* From the root task's own threads: starts the program name (not
 * running) with arg; has the program serving name fault on purpose
 * (MKVM_CRASH_*) and returns once its next instance serves. 0, or -1. */
int program_run(const char *name, const char *arg);
int program_crash(const char *name, uint64_t how);
/* Returns once every program of boot.cfg given `wait` that started has
 * ended (the test suite). */
void programs_wait(void);
/* Returns once the program name is not running. */
void programs_wait_for(const char *name);

/* zones.c: the PKRU zone z of a program with nzones zones runs with (it
 * writes its own key and key 0, reads the other zones' and the gates'),
 * and the one its gates run with while they change their state. */
uint32_t zone_pkru(unsigned z, unsigned nzones);
uint32_t zone_pkru_gate(unsigned nzones);
/* Writes a zone program's gate page: kernel zone-call stubs for entries
 * 1..n (fn[e - 1] in zone zone[e - 1]) with their abort, or else (gates)
 * their call gates; false if the code does not fit mkvm/zone.h's layout. */
bool zone_gate_page(uint8_t *page, const uint64_t *fn, const uint8_t *zone, unsigned n, unsigned nzones,
		    bool gates);
/* Where a thread goes after a protection-key fault in a zone call: the
 * call gates' exit or the kernel zone call's return. */
uint64_t zone_abort_ip(bool in_gate);
/* The ip of entry e's kernel zone-call stub. */
uint64_t zone_kstub_ip(unsigned e);

#endif
