/* The virtio-console driver server (virtio 1.x, 5.3): port 0 only, no
 * VIRTIO_CONSOLE_F_MULTIPORT, so queue 0 is port 0's receiveq and queue 1
 * its transmitq; both interrupt on MSI-X vector 0. Serves
 * shared/mkvm/console.h; interrupts arrive as IPC from the
 * kernel on the driver's own MSI line.
 *
 * Not vpci_serve(): a read waits for input that may never come, with a
 * timeout, while writes go on, so a reader and a writer are pending at
 * once and the receive itself times out at the reader's deadline. Input is
 * taken all the time into a ring here; the receive buffer is posted only
 * while the ring has room for all of it, so a full ring makes the host
 * side wait instead of losing bytes. */
#include <mkvm/console.h>
#include "../virtio/server.h"

#define RX_CHUNK 256                    /* bytes per posted receive buffer */
#define RING 4096                       /* buffered input (a power of 2) */

struct console {
	struct vpci_dev dev;
	struct vpci_queue rx, tx;
	uint8_t *rxbuf, *txbuf;             /* 1:1 DMA pages */
	bool ok, rx_posted;
	uint8_t in[RING];                   /* input not yet read: [tail, head) */
	uint32_t head, tail;                /* free-running */
	uint64_t writer;                    /* whose bytes are in the transmitq, or 0 */
	uint32_t wlen;
	uint64_t reader;                    /* who waits for input, or 0 */
	uint32_t rwant;
	uint64_t deadline;                  /* l4_clock_us() when the wait ends; ~0: never */
};

static int console_setup(struct console *c)
{
	struct vpci_irq irq;
	if (vpci_start(&c->dev, VIRTIO_ID_CONSOLE, 0, &irq) ||
	    vpci_queue_setup(&c->dev, &c->rx, 0, 0) || vpci_queue_setup(&c->dev, &c->tx, 1, 0))
		return -1;
	c->rxbuf = vpci_dma_page();
	c->txbuf = vpci_dma_page();
	if (!c->rxbuf || !c->txbuf)
		return -1;
	vpci_driver_ok(&c->dev);
	printf("virtio-console: driving port 0, receiveq/transmitq interrupts on MSI line %lu\n", irq.line);
	return 0;
}

/* Gives the device a receive buffer if none is out and the ring has room. */
static void rx_post(struct console *c)
{
	if (c->rx_posted || RING - (c->head - c->tail) < RX_CHUNK)
		return;
	struct virtq_desc d = { .addr = vpci_dma(c->rxbuf), .len = RX_CHUNK, .flags = VIRTQ_DESC_F_WRITE };
	vpci_queue_post(&c->rx, &d, 1);
	c->rx_posted = true;
}

static int reply_error(uint64_t to, uint64_t err)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(MKVM_CONSOLE_ERROR, 1, 0);
	mr[1] = err;
	return l4_send(to, 0);
}

/* Answers the reader if input is there or its wait is over. Bytes leave
 * the ring only when the reply reached the reader. */
static void reader_serve(struct console *c)
{
	uint64_t *mr = l4_utcb()->mr;
	uint32_t n = c->head - c->tail;
	if (!c->reader || (!n && l4_clock_us() < c->deadline))
		return;
	if (n > c->rwant)
		n = c->rwant;
	uint8_t *bytes = (uint8_t *)&mr[2];
	memset(bytes, 0, (n + 7) / 8 * 8);
	for (uint32_t i = 0; i < n; i++)
		bytes[i] = c->in[(c->tail + i) % RING];
	mr[0] = L4_TAG(MKVM_CONSOLE_OK, 1 + (n + 7) / 8, 0);
	mr[1] = n;
	if (!l4_send(c->reader, 0))
		c->tail += n;
	c->reader = 0;
	rx_post(c);
}

/* The queue interrupt: finished transmits and received bytes. */
static void console_interrupt(struct console *c)
{
	uint64_t *mr = l4_utcb()->mr;
	uint32_t len;
	if (c->writer && vpci_queue_used(&c->tx, &len)) {
		mr[0] = L4_TAG(MKVM_CONSOLE_OK, 1, 0);
		mr[1] = c->wlen;
		l4_send(c->writer, 0);
		c->writer = 0;
	}
	if (c->rx_posted && vpci_queue_used(&c->rx, &len)) {
		if (len > RX_CHUNK)
			len = RX_CHUNK;         /* a device cannot write more than it was given */
		for (uint32_t i = 0; i < len; i++)
			c->in[(c->head + i) % RING] = c->rxbuf[i];
		c->head += len;
		c->rx_posted = false;
		rx_post(c);
	}
}

/* A client's request in mr[]; answered now, or later by the interrupt or
 * by reader_serve(). */
static void console_request(struct console *c, uint64_t from)
{
	uint64_t *mr = l4_utcb()->mr, label = L4_TAG_LABEL(mr[0]), n = mr[1];
	if (label == MKVM_CONSOLE_WRITE) {
		if (!n || n > MKVM_CONSOLE_MAX || L4_TAG_U(mr[0]) < 1 + (n + 7) / 8) {
			reply_error(from, MKVM_CONSOLE_EINVAL);
		} else if (!c->ok || c->writer) {
			reply_error(from, c->ok ? MKVM_CONSOLE_EBUSY : MKVM_CONSOLE_EDEV);
		} else {
			memcpy(c->txbuf, &mr[2], n);
			struct virtq_desc d = { .addr = vpci_dma(c->txbuf), .len = (uint32_t)n };
			c->writer = from;
			c->wlen = (uint32_t)n;
			vpci_queue_post(&c->tx, &d, 1);
		}
	} else if (label == MKVM_CONSOLE_READ) {
		if (!n || n > MKVM_CONSOLE_MAX || L4_TAG_U(mr[0]) < 2 || mr[2] > MKVM_CONSOLE_FOREVER) {
			reply_error(from, MKVM_CONSOLE_EINVAL);
		} else if (!c->ok || (c->reader && c->reader != from)) {
			reply_error(from, c->ok ? MKVM_CONSOLE_EBUSY : MKVM_CONSOLE_EDEV);
		} else {
			/* the same reader again: its earlier call has given up */
			c->reader = from;
			c->rwant = (uint32_t)n;
			c->deadline = mr[2] == MKVM_CONSOLE_FOREVER ? ~0ull : l4_clock_us() + mr[2];
		}
	} else {
		reply_error(from, MKVM_CONSOLE_EINVAL);
	}
}

int main(void)
{
	static struct console c;
	uint64_t from;

	if (console_setup(&c))
		return 1;
	c.ok = true;
	rx_post(&c);
	vpci_ready();
	for (;;) {
		uint32_t wait = L4_NEVER;
		if (c.reader && c.deadline != ~0ull) {
			uint64_t now = l4_clock_us();
			wait = c.deadline <= now ? 0 : (uint32_t)(c.deadline - now);   /* < MKVM_CONSOLE_FOREVER */
		}
		if (!l4_receive(L4_ANYTHREAD, wait, &from)) {
			if (vpci_is_interrupt(from)) {
				console_interrupt(&c);
				vpci_ack();
			} else {
				prog_crash_if_asked(from);
				console_request(&c, from);
			}
		}
		reader_serve(&c);
	}
}
