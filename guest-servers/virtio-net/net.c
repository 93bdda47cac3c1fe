/* The virtio-net driver server (virtio 1.x, 5.1): queue 0 receives, queue 1
 * transmits; every frame is preceded by a struct virtio_net_hdr (no offload
 * features, so it is zero on transmit and ignored on receive). Receive
 * buffers stay posted while clients come and go, so the server has its own
 * loop instead of server.c's one-request one: it may hold a sender and a
 * receiver waiting at once, keeps frames nobody has asked for yet, and
 * times out a receiver's wait. Serves shared/mkvm/net.h; interrupts arrive
 * as IPC from the kernel on the driver's own MSI line. */
#include <mkvm/net.h>
#include <mkvm/pci.h>
#include "../virtio/server.h"

#define NET_WINDOW 0x60000000ull        /* where the client's buffer page lands */
#define HDR sizeof(struct virtio_net_hdr)
#define NRX 8                           /* receive buffers, 2 KiB each */
#define RXSIZE 2048

struct net {
	struct vpci_dev dev;
	struct vpci_queue rxq, txq;
	bool ok, has_buf;
	uint64_t mac;
	uint8_t *rx[NRX];               /* 1:1 DMA buffers; rx[i] is descriptor i */
	uint32_t rxlen[NRX];
	uint16_t held[NRX];             /* ring of filled buffers nobody took yet */
	unsigned first, nheld;          /* the oldest in held[first] */
	uint8_t *tx;                    /* 1:1 DMA page: header, then the frame */
	uint64_t tx_client, rx_client, rx_deadline;
};

static void rx_post(struct net *n, uint16_t i)
{
	struct virtq_desc d = { .addr = vpci_dma(n->rx[i]), .len = RXSIZE, .flags = VIRTQ_DESC_F_WRITE };
	vpci_queue_put(&n->rxq, i, &d, 1);
}

static int net_setup(struct net *n)
{
	struct vpci_irq irq;
	/* both queues interrupt through MSI-X vector 0: one line */
	if (vpci_start(&n->dev, VIRTIO_ID_NET, 1ull << VIRTIO_NET_F_MAC, &irq) ||
	    vpci_queue_setup(&n->dev, &n->rxq, 0, 0) || vpci_queue_setup(&n->dev, &n->txq, 1, 0))
		return -1;
	if (n->rxq.size < NRX) {
		printf("virtio-net: receive queue of %u entries, need %u\n", n->rxq.size, NRX);
		return -1;
	}
	n->tx = vpci_dma_page();
	for (unsigned i = 0; i < NRX; i += 4096 / RXSIZE) {
		uint64_t page = (uint64_t)vpci_dma_page();
		if (!page || !n->tx)
			return -1;
		for (unsigned k = 0; k < 4096 / RXSIZE; k++)
			n->rx[i + k] = (uint8_t *)page + k * RXSIZE;
	}
	if (n->dev.features >> VIRTIO_NET_F_MAC & 1 && n->dev.devcfg)
		for (unsigned i = 0; i < 6; i++)
			n->mac |= (uint64_t)n->dev.devcfg[i] << 8 * i;
	vpci_driver_ok(&n->dev);
	for (uint16_t i = 0; i < NRX; i++)
		rx_post(n, i);
	printf("virtio-net: driving %02lx:%02lx.%lx, mac %02lx:%02lx:%02lx:%02lx:%02lx:%02lx, "
	       "queue interrupts on MSI line %lu\n", MKVM_PCI_BDF_BUS(n->dev.bdf), MKVM_PCI_BDF_DEV(n->dev.bdf),
	       MKVM_PCI_BDF_FN(n->dev.bdf), n->mac & 0xff, n->mac >> 8 & 0xff, n->mac >> 16 & 0xff,
	       n->mac >> 24 & 0xff, n->mac >> 32 & 0xff, n->mac >> 40 & 0xff, irq.line);
	return 0;
}

static void reply_error(uint64_t *mr, uint64_t err)
{
	mr[0] = L4_TAG(MKVM_NET_ERROR, 1, 0);
	mr[1] = err;
}

/* The oldest held frame into the client's page, its buffer back to the
 * device: the reply in mr[]. */
static void rx_take(struct net *n, uint64_t *mr)
{
	uint16_t i = n->held[n->first];
	uint32_t len = n->rxlen[i];
	n->first = (n->first + 1) % NRX;
	n->nheld--;
	if (len < HDR + MKVM_NET_MIN || len > HDR + MKVM_NET_MAX) {
		reply_error(mr, MKVM_NET_EDEV);
	} else {
		memcpy((uint8_t *)NET_WINDOW + MKVM_NET_RXBUF, n->rx[i] + HDR, len - HDR);
		mr[0] = L4_TAG(MKVM_NET_OK, 1, 0);
		mr[1] = len - HDR;
	}
	rx_post(n, i);
}

/* A client's request: true if the reply is in mr[] now. */
static bool net_request(struct net *n, uint64_t *mr, uint64_t from)
{
	uint64_t op = L4_TAG_LABEL(mr[0]), len = mr[1];
	if (!n->ok) {
		reply_error(mr, MKVM_NET_EDEV);
		return true;
	}
	if (op == MKVM_NET_SETBUF && L4_TAG_T(mr[0]) == 2) {
		n->has_buf = true;
		mr[0] = L4_TAG(MKVM_NET_OK, 0, 0);
		return true;
	}
	if (op == MKVM_NET_MAC) {
		mr[0] = L4_TAG(MKVM_NET_OK, 1, 0);
		mr[1] = n->mac;
		return true;
	}
	if ((op != MKVM_NET_SEND && op != MKVM_NET_RECV) || L4_TAG_U(mr[0]) < 1 ||
	    (op == MKVM_NET_SEND && (len < MKVM_NET_MIN || len > MKVM_NET_MAX))) {
		reply_error(mr, MKVM_NET_EINVAL);
		return true;
	}
	if (!n->has_buf) {
		reply_error(mr, MKVM_NET_ENOBUF);
		return true;
	}
	if (op == MKVM_NET_SEND) {
		if (n->tx_client) {
			reply_error(mr, MKVM_NET_EBUSY);
			return true;
		}
		memset(n->tx, 0, HDR);
		memcpy(n->tx + HDR, (uint8_t *)NET_WINDOW + MKVM_NET_TXBUF, len);
		struct virtq_desc d = { .addr = vpci_dma(n->tx), .len = (uint32_t)(HDR + len) };
		vpci_queue_put(&n->txq, 0, &d, 1);
		n->tx_client = from;
		return false;                   /* answered when the device has used it */
	}
	if (n->rx_client) {
		reply_error(mr, MKVM_NET_EBUSY);
		return true;
	}
	if (n->nheld) {
		rx_take(n, mr);
		return true;
	}
	if (!len) {
		reply_error(mr, MKVM_NET_ETIMEOUT);
		return true;
	}
	n->rx_client = from;
	n->rx_deadline = l4_clock_us() + len;
	return false;                           /* answered by a frame or the deadline */
}

/* Replies to a waiting client with zero send timeout: it is in its
 * receive phase (it called us), so the reply cannot block the server. */
static void answer(uint64_t *client)
{
	l4_send(*client, 0);
	*client = 0;
}

/* A queue interrupt: finished transmissions and received frames. */
static void net_interrupt(struct net *n, uint64_t *mr)
{
	uint16_t head;
	uint32_t len;
	while (vpci_queue_take(&n->txq, &head, &len))
		if (n->tx_client) {
			mr[0] = L4_TAG(MKVM_NET_OK, 0, 0);
			answer(&n->tx_client);
		}
	while (vpci_queue_take(&n->rxq, &head, &len))
		if (head < NRX && n->nheld < NRX) {
			n->rxlen[head] = len;
			n->held[(n->first + n->nheld++) % NRX] = head;
		}
	if (n->rx_client && n->nheld) {
		rx_take(n, mr);
		answer(&n->rx_client);
	}
}

int main(void)
{
	static struct net n;
	uint64_t *mr = l4_utcb()->mr, from;
	if (net_setup(&n))
		return 1;
	n.ok = true;
	vpci_ready();
	/* after set-up: the root task's and bus calls there reset the acceptor */
	l4_utcb()->acceptor = L4_FPAGE(NET_WINDOW, 12, L4_R | L4_W);
	int err = l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	for (;;) {
		bool reply = false;
		if (err) {
			/* nothing received: perhaps the receiver's deadline passed */
		} else if (vpci_is_interrupt(from)) {
			net_interrupt(&n, mr);
			vpci_ack();
		} else {
			prog_crash_if_asked(from);
			reply = net_request(&n, mr, from);
		}
		uint32_t wait = L4_NEVER;
		if (n.rx_client) {
			uint64_t now = l4_clock_us();
			if (now >= n.rx_deadline) {
				/* a reply built above has at most two words */
				uint64_t saved[2] = { mr[0], mr[1] };
				reply_error(mr, MKVM_NET_ETIMEOUT);
				answer(&n.rx_client);
				mr[0] = saved[0];
				mr[1] = saved[1];
			} else {
				wait = n.rx_deadline - now < L4_NEVER ? (uint32_t)(n.rx_deadline - now) : L4_NEVER - 1;
			}
		}
		if (reply)
			err = l4_ipc(from, L4_ANYTHREAD, L4_TIMEOUTS(0, wait), &from);
		else
			err = l4_receive(L4_ANYTHREAD, wait, &from);
	}
}
