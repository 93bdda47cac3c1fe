#include "server.h"

int vpci_start(struct vpci_dev *d, uint16_t virtio_id, uint64_t want, struct vpci_irq *irq)
{
	const char *who = prog_info->name;
	if (!(prog_info->flags & MKVM_PROG_HAS_IRQ)) {
		printf("%s: no interrupt line given (irq=msi in boot.cfg)\n", who);
		return -1;
	}
	*irq = (struct vpci_irq){ .line = prog_info->irq_line };
	uint64_t bus = name_lookup("pci-bus", SERVER_TIMEOUT_US);
	if (!bus) {
		printf("%s: no PCI bus server\n", who);
		return -1;
	}
	if (vpci_find(d, bus, virtio_id) || vpci_negotiate(d, want))
		return -1;
	return vpci_msix_route(d, 0);
}

void vpci_ready(void)
{
	int err = name_register(prog_info->name);
	if (err)
		printf("%s: cannot register its name (error %d)\n", prog_info->name, err);
}

bool vpci_is_interrupt(uint64_t from)
{
	return from == L4_IRQ_TID(prog_info->irq_line) && L4_TAG_LABEL(l4_utcb()->mr[0]) == L4_LABEL_INTERRUPT;
}

void vpci_ack(void)
{
	uint64_t mr[4] = { 0 };
	l4_ipc_regs(L4_IRQ_TID(prog_info->irq_line), L4_NILTHREAD, 0, mr, NULL);
}

_Noreturn void vpci_serve(struct vpci_server *s)
{
	uint64_t *mr = l4_utcb()->mr, from;

	s->ok = true;
	vpci_ready();
	/* after set-up: the calls there reset the acceptor */
	l4_utcb()->acceptor = s->acceptor;
	int err = l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	for (;;) {
		bool reply = false;
		uint32_t len;
		if (err) {
			/* nothing to answer */
		} else if (vpci_is_interrupt(from)) {
			if (s->client && vpci_queue_used(s->q, &len)) {
				s->complete(s, mr, len);
				from = s->client;
				s->client = 0;
				reply = true;
			}
			vpci_ack();
		} else {
			prog_crash_if_asked(from);
			reply = s->request(s, mr, from);
		}
		if (reply)
			err = l4_reply_wait(from, &from);
		else
			err = l4_receive(L4_ANYTHREAD, L4_NEVER, &from);
	}
}
