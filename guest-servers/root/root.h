/* The root task's internal interface. */
#ifndef ROOT_H
#define ROOT_H

#include "../lib/prog.h"
#include "programs.h"

extern const struct l4_bootinfo *bootinfo;

/* threads.c: threads of the root task's own space (pager sigma0), and
 * sigma0's protocol */
uint64_t tid_alloc(void);
uint64_t thread_new_local(void (*fn)(void), uint64_t arg);
uint64_t sigma0_alloc(void);
int sigma0_request(uint64_t fpage);

/* shell.c: answers the shell program ("shell" on the command line) */
_Noreturn void shell_serve(void);

#endif
