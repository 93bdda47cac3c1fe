/* The IPC protocol of the virtio-net driver server (guest-servers/virtio-net/net.c).
 *
 * Frames travel through one 4 KiB buffer page the client maps to the
 * server first: a frame to send at offset MKVM_NET_TXBUF, a received one at
 * MKVM_NET_RXBUF. Frames are whole Ethernet frames without the FCS,
 * MKVM_NET_MIN..MKVM_NET_MAX bytes. One client (the last to map its page).
 *
 * Set buffer: MR0 = L4_TAG(MKVM_NET_SETBUF, 0, 2), MR1/MR2 = a map item of
 *   the page (read-write). Reply: MR0 = L4_TAG(MKVM_NET_OK, 0, 0).
 * MAC: MR0 = L4_TAG(MKVM_NET_MAC, 0, 0). Reply: MR0 = L4_TAG(MKVM_NET_OK, 1,
 *   0), MR1 = the six address bytes, first byte in bits 7..0.
 * Send: MR0 = L4_TAG(MKVM_NET_SEND, 1, 0), MR1 = length. Reply when the
 *   device has taken the frame: MR0 = L4_TAG(MKVM_NET_OK, 0, 0).
 * Receive: MR0 = L4_TAG(MKVM_NET_RECV, 1, 0), MR1 = timeout in
 *   microseconds (0: only a frame already received). Reply: MR0 =
 *   L4_TAG(MKVM_NET_OK, 1, 0), MR1 = length, the frame at MKVM_NET_RXBUF;
 *   or MKVM_NET_ETIMEOUT when none came in time. Frames that arrive while
 *   nobody waits are kept in the server's receive buffers (a few), oldest
 *   first; when those are full the device holds or drops further frames.
 * Failure: MR0 = L4_TAG(MKVM_NET_ERROR, 1, 0), MR1 = MKVM_NET_E*. One send
 * and one receive may be outstanding at a time; another gets MKVM_NET_EBUSY. */
#ifndef MKVM_NET_H
#define MKVM_NET_H

#define MKVM_NET_SETBUF 0xc01
#define MKVM_NET_MAC    0xc02
#define MKVM_NET_SEND   0xc03
#define MKVM_NET_RECV   0xc04
#define MKVM_NET_OK     0
#define MKVM_NET_ERROR  0xc0f

#define MKVM_NET_TXBUF 0
#define MKVM_NET_RXBUF 2048
#define MKVM_NET_MIN   14       /* an Ethernet header */
#define MKVM_NET_MAX   1514     /* header + 1500 bytes of payload */

#define MKVM_NET_EINVAL   1     /* malformed request or length out of range */
#define MKVM_NET_EBUSY    2     /* a request of the kind is outstanding */
#define MKVM_NET_EDEV     3     /* the device could not be set up or failed */
#define MKVM_NET_ENOBUF   4     /* no buffer page mapped yet */
#define MKVM_NET_ETIMEOUT 5     /* no frame within the timeout */

#endif
