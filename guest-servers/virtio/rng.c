/* The virtio-rng driver server (virtio 1.x, 5.4): one request queue; the
 * driver posts a device-writable buffer, the device fills it and
 * interrupts. Serves shared/mkvm/rng.h; interrupts arrive as IPC from the
 * root task's relay (see virtio_pci.h), never by polling. */
#include <mkvm/rng.h>
#include "virtio_pci.h"
#include "drivers.h"

struct rng {
	struct vpci_dev dev;
	struct vpci_queue q;
	uint8_t *buf;                   /* one 1:1-mapped page the device fills */
	uint64_t client;                /* whose request is in the device, or 0 */
	uint32_t wanted;
};

static int rng_setup(struct rng *r, uint64_t *mr, uint64_t relay)
{
	mr[0] = L4_TAG(VPCI_LABEL_HELLO, 0, 0);
	if (l4_call(relay) || L4_TAG_U(mr[0]) < 4) {
		printf("virtio-rng: no interrupt from the root task\n");
		return -1;
	}
	uint64_t line = mr[1], addr = mr[2], data = mr[3], ecam = mr[4];
	if (vpci_find(&r->dev, ecam, VIRTIO_ID_RNG) || vpci_negotiate(&r->dev, 0) ||
	    vpci_msix_route(&r->dev, 0, addr, (uint32_t)data) || vpci_queue_setup(&r->dev, &r->q, 0, 0))
		return -1;
	r->buf = (uint8_t *)sigma0_alloc();
	if (!r->buf)
		return -1;
	vpci_driver_ok(&r->dev);
	printf("virtio-rng: driving 00:%02lx.0, queue 0 interrupts on MSI line %lu\n",
	       (r->dev.cfg >> 15) & 31, line);
	return 0;
}

static void reply_error(uint64_t *mr, uint64_t err)
{
	mr[0] = L4_TAG(MKVM_RNG_ERROR, 1, 0);
	mr[1] = err;
}

/* A client's request: true if the reply is in mr[] now. */
static bool rng_request(struct rng *r, uint64_t *mr, uint64_t from, bool ok)
{
	if (L4_TAG_LABEL(mr[0]) != MKVM_RNG_READ || L4_TAG_U(mr[0]) < 1 || !mr[1] || mr[1] > MKVM_RNG_MAX) {
		reply_error(mr, MKVM_RNG_EINVAL);
		return true;
	}
	if (!ok || r->client) {
		reply_error(mr, ok ? MKVM_RNG_EBUSY : MKVM_RNG_EDEV);
		return true;
	}
	r->client = from;
	r->wanted = (uint32_t)mr[1];
	memset(r->buf, 0, r->wanted);
	struct virtq_desc d = { .addr = (uint64_t)r->buf, .len = r->wanted, .flags = VIRTQ_DESC_F_WRITE };
	vpci_queue_post(&r->q, &d, 1);
	return false;                   /* answered when the interrupt comes */
}

/* The buffer is filled: the client's reply in mr[]. */
static void rng_complete(struct rng *r, uint64_t *mr, uint32_t len)
{
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

void rng_server(uint64_t relay)
{
	static struct rng r;
	uint64_t *mr = l4_utcb()->mr, from;
	bool ok = !rng_setup(&r, mr, relay);
	if (!ok)
		printf("virtio-rng: setup failed; answering MKVM_RNG_EDEV\n");
	int err = l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	for (;;) {
		bool reply = false;
		uint32_t len;
		if (err) {
			/* nothing to answer */
		} else if (from == relay && L4_TAG_LABEL(mr[0]) == L4_LABEL_INTERRUPT) {
			mr[0] = 0;
			l4_send(relay, 0);      /* the relay may acknowledge the line now */
			if (r.client && vpci_queue_used(&r.q, &len)) {
				rng_complete(&r, mr, len);
				from = r.client;
				r.client = 0;
				reply = true;
			}
		} else {
			reply = rng_request(&r, mr, from, ok);
		}
		if (reply)
			err = l4_reply_wait(from, &from);
		else
			err = l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	}
}
