/* The IPC protocol of the virtio-rng driver server (guest-servers/virtio-rng/rng.c).
 *
 * Request (a call to the server's thread):
 *   MR0 = L4_TAG(MKVM_RNG_READ, 1, 0), MR1 = bytes wanted, 1..MKVM_RNG_MAX.
 * Reply on success:
 *   MR0 = L4_TAG(MKVM_RNG_OK, 1 + (n + 7) / 8, 0), MR1 = n, the bytes the
 *   device delivered (1 <= n <= wanted: the device may give fewer; ask
 *   again for more), MR2.. = the bytes, packed little-endian, 8 a word.
 * Reply on failure:
 *   MR0 = L4_TAG(MKVM_RNG_ERROR, 1, 0), MR1 = MKVM_RNG_E*.
 * The server handles one request at a time: a request that arrives while
 * the device is still filling another one's buffer gets MKVM_RNG_EBUSY. */
#ifndef MKVM_RNG_H
#define MKVM_RNG_H

#define MKVM_RNG_READ  0xa01
#define MKVM_RNG_OK    0
#define MKVM_RNG_ERROR 0xa0f
#define MKVM_RNG_MAX   256      /* bytes per request: 32 message words */

#define MKVM_RNG_EINVAL 1       /* malformed request or size out of range */
#define MKVM_RNG_EBUSY  2       /* another request is in progress */
#define MKVM_RNG_EDEV   3       /* the device could not be set up or failed */

#endif
