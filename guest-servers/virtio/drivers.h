/* Entry points of the driver servers, each run by the root task as the
 * first thread of a new address space; the argument is the root task's
 * interrupt relay thread (virtio_pci.h, VPCI_LABEL_HELLO). */
#ifndef DRIVERS_H
#define DRIVERS_H

#include <stdint.h>

void rng_server(uint64_t relay);
void blk_server(uint64_t relay);
void net_server(uint64_t relay);
void console_server(uint64_t relay);

#endif
