/* The IPC protocol of the virtio-console driver server
 * (guest-servers/virtio-console/console.c): one port (port 0, no multiport), bytes
 * out through the transmitq, bytes in from the receiveq.
 *
 * Write (a call to the server's thread):
 *   MR0 = L4_TAG(MKVM_CONSOLE_WRITE, 1 + (n + 7) / 8, 0), MR1 = n bytes,
 *   1..MKVM_CONSOLE_MAX, MR2.. = the bytes, packed little-endian, 8 a word.
 *   Reply MR0 = L4_TAG(MKVM_CONSOLE_OK, 1, 0), MR1 = n once the device has
 *   taken the bytes (the transmit buffer is used).
 * Read:
 *   MR0 = L4_TAG(MKVM_CONSOLE_READ, 2, 0), MR1 = most bytes wanted,
 *   1..MKVM_CONSOLE_MAX, MR2 = how long to wait for input in microseconds
 *   (0: do not wait; MKVM_CONSOLE_FOREVER: until input comes).
 *   Reply MR0 = L4_TAG(MKVM_CONSOLE_OK, 1 + (n + 7) / 8, 0), MR1 = n, the
 *   bytes that had arrived (0 <= n <= wanted; 0 only when the wait ran
 *   out), MR2.. = the bytes. Input is buffered in the server from the
 *   moment it starts, so nothing typed before a read is lost while its
 *   buffer has room (when it is full the host side waits).
 *   A reader whose own receive timeout ends before the server answers gets
 *   nothing taken from the buffer.
 * Reply on failure:
 *   MR0 = L4_TAG(MKVM_CONSOLE_ERROR, 1, 0), MR1 = MKVM_CONSOLE_E*.
 * One write and one read may be in progress at once (from different
 * threads); a second one of the same kind gets MKVM_CONSOLE_EBUSY. */
#ifndef MKVM_CONSOLE_H
#define MKVM_CONSOLE_H

#define MKVM_CONSOLE_WRITE  0xd01
#define MKVM_CONSOLE_READ   0xd02
#define MKVM_CONSOLE_OK     0
#define MKVM_CONSOLE_ERROR  0xd0f
#define MKVM_CONSOLE_MAX    256          /* bytes per request: 32 message words */
#define MKVM_CONSOLE_FOREVER 0xffffffffu /* a read's wait: until input comes */

#define MKVM_CONSOLE_EINVAL 1            /* malformed request or size out of range */
#define MKVM_CONSOLE_EBUSY  2            /* another request of that kind is in progress */
#define MKVM_CONSOLE_EDEV   3            /* the device could not be set up or failed */

#endif
