/* One client stub per driver protocol (shared/mkvm/{blk,net,console,rng}.h),
 * for every client: the shell, the test suite. Each is one call with
 * SERVER_TIMEOUT_US each way (plus what the request itself waits): the IPC
 * error, or 0 with the server's reply in mr[] (its label says whether it
 * is MKVM_*_OK or an error). A page to map to a server must be the
 * caller's already: touch it first. */
#ifndef CLIENTS_H
#define CLIENTS_H

#include <stdint.h>

int blk_request(uint64_t srv, uint64_t label, uint64_t sector, uint64_t count);
int blk_setbuf(uint64_t srv, uint64_t page);

int net_setbuf(uint64_t srv, uint64_t page);
/* MKVM_NET_MAC, MKVM_NET_SEND (w1 = length) or MKVM_NET_RECV (w1 =
 * microseconds to wait, which the call's receive timeout adds). */
int net_request(uint64_t srv, uint64_t label, uint64_t w1);

int rng_read(uint64_t srv, uint64_t n);

/* n bytes (1..MKVM_CONSOLE_MAX) at bytes; a read of at most n bytes that
 * waits up to wait_us (MKVM_CONSOLE_FOREVER: until input comes). */
int console_write(uint64_t srv, const void *bytes, uint64_t n);
int console_read(uint64_t srv, uint64_t n, uint64_t wait_us);

#endif
