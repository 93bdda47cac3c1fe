/* The virtio-rng driver server (virtio 1.x, 5.4): one request queue; the
 * driver posts a device-writable buffer, the device fills it and
 * interrupts. Serves shared/mkvm/rng.h; interrupts arrive as IPC from the
 * kernel on the driver's own MSI line, never by polling. */
#include <mkvm/pci.h>
#include <mkvm/rng.h>
#include "../virtio/server.h"

struct rng {
	struct vpci_server srv;         /* first: the server loop's view */
	struct vpci_dev dev;
	struct vpci_queue q;
	uint8_t *buf;                   /* one 1:1-mapped page the device fills */
	uint32_t wanted;
};

static int rng_setup(struct rng *r)
{
	struct vpci_irq irq;
	if (vpci_start(&r->dev, VIRTIO_ID_RNG, 0, &irq) ||
	    vpci_queue_setup(&r->dev, &r->q, 0, 0))
		return -1;
	r->buf = vpci_dma_page();
	if (!r->buf)
		return -1;
	vpci_driver_ok(&r->dev);
	printf("virtio-rng: driving %02lx:%02lx.%lx, queue 0 interrupts on MSI line %lu\n",
	       MKVM_PCI_BDF_BUS(r->dev.bdf), MKVM_PCI_BDF_DEV(r->dev.bdf), MKVM_PCI_BDF_FN(r->dev.bdf), irq.line);
	return 0;
}

static void reply_error(uint64_t *mr, uint64_t err)
{
	mr[0] = L4_TAG(MKVM_RNG_ERROR, 1, 0);
	mr[1] = err;
}

/* A client's request: true if the reply is in mr[] now. */
static bool rng_request(struct vpci_server *s, uint64_t *mr, uint64_t from)
{
	struct rng *r = (struct rng *)s;

	if (L4_TAG_LABEL(mr[0]) != MKVM_RNG_READ || L4_TAG_U(mr[0]) < 1 || !mr[1] || mr[1] > MKVM_RNG_MAX) {
		reply_error(mr, MKVM_RNG_EINVAL);
		return true;
	}
	if (!s->ok || s->client) {
		reply_error(mr, s->ok ? MKVM_RNG_EBUSY : MKVM_RNG_EDEV);
		return true;
	}
	s->client = from;
	r->wanted = (uint32_t)mr[1];
	memset(r->buf, 0, r->wanted);
	struct virtq_desc d = { .addr = vpci_dma(r->buf), .len = r->wanted, .flags = VIRTQ_DESC_F_WRITE };
	vpci_queue_post(&r->q, &d, 1);
	return false;                   /* answered when the interrupt comes */
}

/* The buffer is filled: the client's reply in mr[]. */
static void rng_complete(struct vpci_server *s, uint64_t *mr, uint32_t len)
{
	struct rng *r = (struct rng *)s;

	if (!len || len > r->wanted) {
		reply_error(mr, MKVM_RNG_EDEV);
		return;
	}
	uint64_t words = (len + 7) / 8;
	memset(&mr[2], 0, words * 8);
	memcpy(&mr[2], r->buf, len);
	mr[0] = L4_TAG(MKVM_RNG_OK, 1 + words, 0);
	mr[1] = len;
}

int main(void)
{
	static struct rng r = {
		.srv = { .q = &r.q, .request = rng_request, .complete = rng_complete },
	};
	if (rng_setup(&r))
		return 1;
	vpci_serve(&r.srv);
}
