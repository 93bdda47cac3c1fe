#include "server.h"

/* Asks the relay for the interrupt; 0, or prints why (as who) and -1. */
static int vpci_hello(uint64_t relay, struct vpci_irq *irq, const char *who)
{
	uint64_t *mr = l4_utcb()->mr;

	mr[0] = L4_TAG(VPCI_LABEL_HELLO, 0, 0);
	if (l4_call(relay) || L4_TAG_U(mr[0]) < 4) {
		printf("%s: no interrupt from the root task\n", who);
		return -1;
	}
	*irq = (struct vpci_irq){ .line = mr[1], .addr = mr[2], .data = mr[3], .bus = mr[4] };
	return 0;
}

int vpci_start(struct vpci_dev *d, uint64_t relay, uint16_t virtio_id, uint64_t want,
	       struct vpci_irq *irq, const char *who)
{
	if (vpci_hello(relay, irq, who) || vpci_find(d, irq->bus, virtio_id) || vpci_negotiate(d, want))
		return -1;
	return vpci_msix_route(d, 0, irq->addr, (uint32_t)irq->data);
}

_Noreturn void vpci_serve(struct vpci_server *s, uint64_t relay)
{
	uint64_t *mr = l4_utcb()->mr, from;

	/* after set-up: the sigma0 calls there reset the acceptor */
	l4_utcb()->acceptor = s->acceptor;
	int err = l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	for (;;) {
		bool reply = false;
		uint32_t len;
		if (err) {
			/* nothing to answer */
		} else if (from == relay && L4_TAG_LABEL(mr[0]) == L4_LABEL_INTERRUPT) {
			mr[0] = 0;
			l4_send(relay, 0);      /* the relay may acknowledge the line now */
			if (s->client && vpci_queue_used(s->q, &len)) {
				s->complete(s, mr, len);
				from = s->client;
				s->client = 0;
				reply = true;
			}
		} else {
			reply = s->request(s, mr, from);
		}
		if (reply)
			err = l4_reply_wait(from, &from);
		else
			err = l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	}
}
