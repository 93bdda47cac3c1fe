/* The check a zone program's code must pass before the root task maps it
 * executable: no instruction that writes PKRU may start at any byte
 * offset (a jump can land in the middle of another instruction). */
#ifndef ZSCAN_H
#define ZSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZSCAN_WINDOW 3  /* bytes an encoding the scan looks for spans */

/* The offset in b[0..n) of the first WRPKRU, XRSTOR or XRSTORS encoding,
 * counting those that begin in b and end in next[0..nnext) (the bytes that
 * follow b in executable memory: the next page's first ZSCAN_WINDOW - 1,
 * nnext 0 when what follows is not executable), or -1 if there is none. */
long zscan(const uint8_t *b, size_t n, const uint8_t *next, size_t nnext);

#endif
