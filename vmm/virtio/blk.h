/* virtio-blk request processing over a raw image file (spec 5.2), apart
 * from any transport: the PCI glue calls virtio_blk__handle() for each chain
 * of the request queue.
 *
 * Every request gets an answer in its status byte: S_OK, S_IOERR for a
 * malformed request (short header, data not whole sectors, beyond the end of
 * the image, write to a read-only disk, host I/O error) and S_UNSUPP for an
 * unknown type. A chain with no writable byte cannot be answered; it is
 * returned with length 0. FLUSH completes only after fdatasync() did. */
#ifndef MKVM_VIRTIO_BLK_H
#define MKVM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <mkvm/virtio.h>
#include "virtio/virtqueue.h"

struct virtio_blk {
	int fd;
	bool readonly;
	uint64_t capacity;                  /* whole 512-byte sectors */
	char id[VIRTIO_BLK_ID_BYTES];       /* GET_ID answer, NUL-padded */
	struct virtio_blk_config config;    /* device configuration space */
};

/* Opens (and locks) the image at path. Prints why and returns -1 when it
 * cannot be used. */
int virtio_blk__open(struct virtio_blk *b, const char *path, bool readonly);
void virtio_blk__close(struct virtio_blk *b);

/* Device feature bits offered for this disk (besides the transport's). */
uint64_t virtio_blk__features(const struct virtio_blk *b);

struct vm;

#define VIRTIO_BLK_MAX_DISKS 8

/* What --disk and the libvirt <disk> ask for: the disks, in order (the
 * device's settings, device.h; virtio/blk_pci.c owns them). */
struct virtio_blk_settings {
	struct virtio_blk_disk {
		char *path;
		bool readonly;
		struct rate_limit limit;     /* ,rate=SIZE ,ops=N */
	} disks[VIRTIO_BLK_MAX_DISKS];
	int nr;
};

/* Opens the image and adds a virtio-blk device for it to the PCI bus
 * (once per --disk), its requests limited by lim. Prints why and returns
 * -1 on failure. */
int virtio_blk__init(struct vm *vm, const char *path, bool readonly,
		     const struct rate_limit *lim);

/* Serves one request chain; returns the bytes written into it. Matches
 * virtq_handler_fn with opaque = the struct virtio_blk. */
uint32_t virtio_blk__handle(void *blk, const struct virtq_chain *c);

#endif
