/* The calls of the virtio-blk protocol (shared/mkvm/blk.h): the IPC
 * error, or 0 with the reply in mr[]. blk_setbuf maps the page at page
 * (which the caller must have: touch it first) to the server as the
 * buffer of reads and writes. */
#ifndef BLK_CLIENT_H
#define BLK_CLIENT_H

#include <stdint.h>

int blk_request(uint64_t srv, uint64_t label, uint64_t sector, uint64_t count);
int blk_setbuf(uint64_t srv, uint64_t page);

#endif
