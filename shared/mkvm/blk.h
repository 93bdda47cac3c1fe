/* The IPC protocol of the virtio-blk driver server (guest-servers/virtio-blk/blk.c).
 *
 * Data travels through one page of the client's that the client maps to
 * the server; sectors are 512 bytes, at most MKVM_BLK_MAX_SECTORS a request.
 *   MKVM_BLK_SETBUF  MR0 = L4_TAG(MKVM_BLK_SETBUF, 0, 2) with a map item of
 *                    one 4 KiB page (read-write): the buffer of the
 *                    calling thread's later requests (replaces an earlier
 *                    one, any client's: the server has one buffer; a
 *                    READ or WRITE from another thread then gets
 *                    MKVM_BLK_ENOBUF until it maps its own again). Reply:
 *                    MR1 = capacity in sectors, MR2 = MKVM_BLK_READONLY or 0.
 *   MKVM_BLK_READ    MR1 = first sector, MR2 = sector count: device -> buffer.
 *   MKVM_BLK_WRITE   MR1 = first sector, MR2 = sector count: buffer -> device.
 *   MKVM_BLK_FLUSH   no words: returns once earlier writes are on stable
 *                    storage (virtio VIRTIO_BLK_T_FLUSH).
 * Replies: MR0 = L4_TAG(MKVM_BLK_OK, u, 0) (u words as above, 0 for READ,
 * WRITE, FLUSH), or L4_TAG(MKVM_BLK_ERROR, 1, 0) with MR1 = MKVM_BLK_E*.
 * One request at a time: another one meanwhile gets MKVM_BLK_EBUSY. */
#ifndef MKVM_BLK_H
#define MKVM_BLK_H

#define MKVM_BLK_SETBUF 0xb01
#define MKVM_BLK_READ   0xb02
#define MKVM_BLK_WRITE  0xb03
#define MKVM_BLK_FLUSH  0xb04
#define MKVM_BLK_OK     0
#define MKVM_BLK_ERROR  0xb0f

#define MKVM_BLK_MAX_SECTORS 8  /* one 4 KiB buffer page */
#define MKVM_BLK_READONLY    1

#define MKVM_BLK_EINVAL 1       /* malformed request, or sectors past the end */
#define MKVM_BLK_EBUSY  2       /* another request is in progress */
#define MKVM_BLK_EDEV   3       /* device setup failed, or it reported an I/O error */
#define MKVM_BLK_ENOBUF 4       /* READ/WRITE before a SETBUF (the caller's own) */
#define MKVM_BLK_ERO    5       /* WRITE to a read-only device */
#define MKVM_BLK_EUNSUPP 6      /* FLUSH on a device without VIRTIO_BLK_F_FLUSH */

#endif
