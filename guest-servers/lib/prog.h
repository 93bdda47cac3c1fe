/* The program side of the root task's protocol (shared/mkvm/root.h): what
 * every program other than sigma0 and the root task links with. */
#ifndef PROG_H
#define PROG_H

#include <mkvm/root.h>
#include "l4.h"

#define prog_info ((const struct mkvm_prog_info *)MKVM_PROG_INFO)
/* Set by the root task, which has no info page, to its own server. */
extern uint64_t prog_root_server;

/* How long a request may wait for a driver or the bus server: generous,
 * because under Bochs a server's device setup alone (every PCI configuration
 * access an exit to mkvm in an emulated L1) takes seconds of guest time. A
 * request's own wait (a receive with a timeout) comes on top. */
#define SERVER_TIMEOUT_US 30000000

/* Registers the calling thread as the server of name: 0 or an MKVM_ROOT_E*. */
int name_register(const char *name);
/* The thread serving name, waiting up to timeout_us while its program is
 * (re)starting; 0 if nobody serves it. */
uint64_t name_lookup(const char *name, uint64_t timeout_us);
/* A fresh zeroed DMA page: its virtual address (MKVM_DMA_VA), physical in
 * *pa; NULL if the root task refused (the reason printed). */
void *dma_alloc(uint64_t *pa);
/* Asks the root task to map the device memory or I/O fpage given to this
 * program: 0 or an MKVM_ROOT_E*. */
int root_map(uint64_t fpage);
_Noreturn void prog_exit(int status);
/* Copies this program's space (MKVM_ROOT_COPY, for a program given
 * `fork`): the copy's first thread starts at fn(arg) on the stack sp of
 * its own copy of the memory. Its thread id, or 0 if the root task
 * refused. */
uint64_t space_copy(void (*fn)(uint64_t), uint64_t sp, uint64_t arg);
/* A request naming a program (MR1..MR3) with up to 31 more bytes in
 * MR4..MR7 (MKVM_ROOT_RUN, _CRASH, _ENDS): 0 with the reply in mr[], or
 * an MKVM_ROOT_E*. */
int root_request(uint64_t label, const char *name, const void *more, size_t n);
/* A server loop calls this with each message it receives: a crash order
 * from the root task (shared/mkvm/root.h, MKVM_PROG_CRASH) is obeyed. */
void prog_crash_if_asked(uint64_t from);

#endif
