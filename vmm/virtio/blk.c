/* virtio-blk requests against a raw image; see blk.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "virtio/blk.h"

#define SECTOR VIRTIO_BLK_SECTOR_SIZE

_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "blk header layout");
_Static_assert(sizeof(struct virtio_blk_config) == 24, "blk config layout");

int virtio_blk__open(struct virtio_blk *b, const char *path, bool readonly)
{
	memset(b, 0, sizeof(*b));
	b->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		fprintf(stderr, "mkvm: --disk %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* Two writers on one image would corrupt it. */
	if (flock(b->fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		fprintf(stderr, "mkvm: --disk %s: image in use by another process\n",
			path);
		goto fail;
	}
	off_t size = lseek(b->fd, 0, SEEK_END); /* also right for block devices */
	if (size < 0) {
		fprintf(stderr, "mkvm: --disk %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (size < SECTOR) {
		fprintf(stderr, "mkvm: --disk %s: image smaller than one %d-byte sector\n",
			path, SECTOR);
		goto fail;
	}
	b->readonly = readonly;
	b->capacity = (uint64_t)size / SECTOR;
	b->config.capacity = b->capacity;
	b->config.seg_max = VIRTQ_DEV_SIZE_MAX - 2; /* header and status */
	b->config.blk_size = SECTOR;
	/* The serial the guest sees: the image's file name, cut to 20 bytes
	 * (no NUL when it fills them, as the spec allows). */
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	memcpy(b->id, base, n < sizeof(b->id) ? n : sizeof(b->id));
	return 0;
fail:
	close(b->fd);
	b->fd = -1;
	return -1;
}

void virtio_blk__close(struct virtio_blk *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

uint64_t virtio_blk__features(const struct virtio_blk *b)
{
	uint64_t f = (1ull << VIRTIO_BLK_F_SEG_MAX) |
		     (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		     (1ull << VIRTIO_BLK_F_FLUSH);

	if (b->readonly)
		f |= 1ull << VIRTIO_BLK_F_RO;
	return f;
}

/* Moves all of iov[0..n) at offset `off`, resuming after short transfers.
 * Returns 0, or -1 on an error or an unexpected end of file. */
static int transfer(int fd, bool write, struct iovec *iov, int n, off_t off)
{
	while (n > 0) {
		ssize_t r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return 0;
}

/* Reads or writes `len` bytes at `sector`, the data being bytes [off,
 * off + len) of the chain's writable (read) or readable (write) part. */
static uint8_t rw(struct virtio_blk *b, const struct virtq_chain *c,
		  bool write, uint64_t sector, uint64_t off, uint64_t len)
{
	struct iovec iov[VIRTQ_DEV_SIZE_MAX];

	if (write && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (len % SECTOR || sector > b->capacity ||
	    len / SECTOR > b->capacity - sector || len > SSIZE_MAX)
		return VIRTIO_BLK_S_IOERR;
	int n = virtq_chain__iov(c, !write, off, len, iov, VIRTQ_DEV_SIZE_MAX);
	if (n < 0 || transfer(b->fd, write, iov, n, (off_t)(sector * SECTOR)))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static uint8_t flush(struct virtio_blk *b)
{
	if (b->readonly)
		return VIRTIO_BLK_S_OK;
	return fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

uint32_t virtio_blk__handle(void *blk, const struct virtq_chain *c)
{
	struct virtio_blk *b = blk;
	struct virtio_blk_req_hdr h;
	uint64_t data_in = 0; /* bytes of data written into the chain */
	uint8_t status;

	if (c->wr_bytes == 0)
		return 0;
	uint64_t status_off = c->wr_bytes - 1;
	if (virtq_chain__read(c, 0, &h, sizeof(h)) != sizeof(h)) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		status = rw(b, c, false, h.sector, 0, status_off);
		if (status == VIRTIO_BLK_S_OK)
			data_in = status_off;
		break;
	case VIRTIO_BLK_T_OUT:
		status = rw(b, c, true, h.sector, sizeof(h),
			    c->rd_bytes - sizeof(h));
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = flush(b);
		break;
	case VIRTIO_BLK_T_GET_ID:
		data_in = status_off < sizeof(b->id) ? status_off : sizeof(b->id);
		virtq_chain__write(c, 0, b->id, data_in);
		status = VIRTIO_BLK_S_OK;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
	}
done:
	virtq_chain__write(c, status_off, &status, 1);
	return data_in < UINT32_MAX ? (uint32_t)(data_in + 1) : UINT32_MAX;
}
