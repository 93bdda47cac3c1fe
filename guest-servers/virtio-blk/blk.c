/* The virtio-blk driver server (virtio 1.x, 5.2): queue 0 carries requests
 * of a header, the data and a status byte. The data bounces through a DMA
 * page of the server's own between the client's mapped buffer page and the
 * device. Serves shared/mkvm/blk.h; interrupts arrive as IPC from the
 * kernel on the driver's own MSI line (see server.h). */
#include <mkvm/blk.h>
#include <mkvm/pci.h>
#include "../virtio/server.h"

#define BLK_WINDOW 0x60000000ull        /* where the client's buffer page lands */

struct blk {
	struct vpci_server srv;             /* first: the server loop's view */
	struct vpci_dev dev;
	struct vpci_queue q;
	uint64_t capacity;
	bool readonly;
	uint64_t buf_owner;                 /* the thread whose page is in the window, or 0 */
	struct virtio_blk_req_hdr *hdr;     /* 1:1 DMA page: header at 0, status at 64 */
	volatile uint8_t *status;
	uint8_t *data;                      /* 1:1 DMA page: the sectors */
	uint64_t op, count;
};

static int blk_setup(struct blk *b)
{
	struct vpci_irq irq;
	uint64_t want = 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_RO;
	if (vpci_start(&b->dev, VIRTIO_ID_BLOCK, want, &irq) ||
	    vpci_queue_setup(&b->dev, &b->q, 0, 0))
		return -1;
	if (!b->dev.devcfg) {
		printf("virtio-blk: no device configuration\n");
		return -1;
	}
	uint64_t hdr = (uint64_t)vpci_dma_page(), page = (uint64_t)vpci_dma_page();
	if (!hdr || !page)
		return -1;
	b->hdr = (struct virtio_blk_req_hdr *)hdr;
	b->status = (volatile uint8_t *)(hdr + 64);
	b->data = (uint8_t *)page;
	volatile uint32_t *cap = (volatile uint32_t *)b->dev.devcfg;
	uint8_t gen;
	do {                                /* 4.1.4.3.1: a 64-bit field in two reads */
		gen = b->dev.common->config_generation;
		b->capacity = cap[0] | (uint64_t)cap[1] << 32;
	} while (gen != b->dev.common->config_generation);
	b->readonly = b->dev.features >> VIRTIO_BLK_F_RO & 1;
	vpci_driver_ok(&b->dev);
	printf("virtio-blk: driving %02lx:%02lx.%lx, %lu sectors%s, queue 0 interrupts on MSI line %lu\n",
	       MKVM_PCI_BDF_BUS(b->dev.bdf), MKVM_PCI_BDF_DEV(b->dev.bdf), MKVM_PCI_BDF_FN(b->dev.bdf), b->capacity, b->readonly ? " (read-only)" : "", irq.line);
	return 0;
}

static void reply_error(uint64_t *mr, uint64_t err)
{
	mr[0] = L4_TAG(MKVM_BLK_ERROR, 1, 0);
	mr[1] = err;
}

/* A client's request: true if the reply is in mr[] now. */
static bool blk_request(struct vpci_server *s, uint64_t *mr, uint64_t from)
{
	struct blk *b = (struct blk *)s;
	uint64_t op = L4_TAG_LABEL(mr[0]), sector = mr[1], count = mr[2];
	if (!s->ok) {
		reply_error(mr, MKVM_BLK_EDEV);
		return true;
	}
	if (op == MKVM_BLK_SETBUF) {
		if (L4_TAG_T(mr[0]) != 2) {
			reply_error(mr, MKVM_BLK_EINVAL);
			return true;
		}
		b->buf_owner = from;
		mr[0] = L4_TAG(MKVM_BLK_OK, 2, 0);
		mr[1] = b->capacity;
		mr[2] = b->readonly ? MKVM_BLK_READONLY : 0;
		return true;
	}
	if (s->client) {
		reply_error(mr, MKVM_BLK_EBUSY);
		return true;
	}
	struct virtq_desc d[3] = {
		{ .addr = vpci_dma(b->hdr), .len = sizeof(*b->hdr) },
		{ .addr = vpci_dma(b->data), .len = (uint32_t)(count * VIRTIO_BLK_SECTOR_SIZE) },
		{ .addr = vpci_dma(b->status), .len = 1, .flags = VIRTQ_DESC_F_WRITE },
	};
	memset(b->hdr, 0, sizeof(*b->hdr));
	*b->status = 0xff;
	if (op == MKVM_BLK_FLUSH) {
		if (!(b->dev.features >> VIRTIO_BLK_F_FLUSH & 1)) {
			reply_error(mr, MKVM_BLK_EUNSUPP);
			return true;
		}
		b->hdr->type = VIRTIO_BLK_T_FLUSH;
		d[1] = d[2];
		count = 0;
	} else if (op == MKVM_BLK_READ || op == MKVM_BLK_WRITE) {
		if (L4_TAG_U(mr[0]) < 2 || !count || count > MKVM_BLK_MAX_SECTORS ||
		    sector >= b->capacity || count > b->capacity - sector) {
			reply_error(mr, MKVM_BLK_EINVAL);
			return true;
		}
		if (b->buf_owner != from) {
			reply_error(mr, MKVM_BLK_ENOBUF);
			return true;
		}
		if (op == MKVM_BLK_WRITE && b->readonly) {
			reply_error(mr, MKVM_BLK_ERO);
			return true;
		}
		b->hdr->sector = sector;
		if (op == MKVM_BLK_READ) {
			b->hdr->type = VIRTIO_BLK_T_IN;
			d[1].flags = VIRTQ_DESC_F_WRITE;
		} else {
			b->hdr->type = VIRTIO_BLK_T_OUT;
			memcpy(b->data, (void *)BLK_WINDOW, count * VIRTIO_BLK_SECTOR_SIZE);
		}
	} else {
		reply_error(mr, MKVM_BLK_EINVAL);
		return true;
	}
	s->client = from;
	b->op = op;
	b->count = count;
	vpci_queue_post(&b->q, d, count ? 3 : 2);
	return false;                       /* answered when the interrupt comes */
}

/* The request is done: the client's reply in mr[]. */
static void blk_complete(struct vpci_server *s, uint64_t *mr, uint32_t len)
{
	struct blk *b = (struct blk *)s;
	(void)len;                          /* the status byte says how it went */

	if (*b->status != VIRTIO_BLK_S_OK) {
		reply_error(mr, MKVM_BLK_EDEV);
		return;
	}
	if (b->op == MKVM_BLK_READ)
		memcpy((void *)BLK_WINDOW, b->data, b->count * VIRTIO_BLK_SECTOR_SIZE);
	mr[0] = L4_TAG(MKVM_BLK_OK, 0, 0);
}

int main(void)
{
	static struct blk b = {
		.srv = {
			.q = &b.q,
			.acceptor = L4_FPAGE(BLK_WINDOW, 12, L4_R | L4_W),
			.request = blk_request,
			.complete = blk_complete,
		},
	};
	if (blk_setup(&b))
		return 1;
	vpci_serve(&b.srv);
}
