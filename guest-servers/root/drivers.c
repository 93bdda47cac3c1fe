/* Starting driver servers. Only the root task's space may attach
 * interrupts, so each driver gets a relay thread here: it attaches an MSI
 * line, hands the driver the line's MSI address/data and the PCI bus
 * server (VPCI_LABEL_HELLO, guest-servers/virtio/virtio_pci.h), then calls the
 * driver with L4_LABEL_INTERRUPT for every interrupt on the line and
 * acknowledges the line once the driver has replied. */
#include "root.h"
#include "../pci/bus.h"
#include "../virtio/virtio_pci.h"

static void irq_relay(void)
{
	uint64_t *mr = l4_utcb()->mr, drv = 0;
	register uint64_t rdx __asm__("rdx");
	uint64_t rax = L4_SYS_IRQ_CONTROL, line = 0, data = L4_IRQ_ATTACH_MSI;
	__asm__ volatile("syscall" : "+a"(rax), "+D"(line), "+S"(data), "=r"(rdx) :: "rcx", "r11", "memory");
	uint64_t addr = rdx;
	while (l4_receive(L4_ANYTHREAD, L4_NEVER, &drv) || L4_TAG_LABEL(mr[0]) != VPCI_LABEL_HELLO)
		;
	if (rax != L4_OK) {
		printf("relay: no free MSI line (%lu)\n", rax);
		mr[0] = L4_TAG(0, 0, 0);
		l4_send(drv, 0);
		sleep_forever();
	}
	mr[0] = L4_TAG(0, 4, 0);
	mr[1] = line;
	mr[2] = addr;
	mr[3] = data;
	mr[4] = thread_arg();                   /* the PCI bus server */
	l4_send(drv, 0);
	for (;;) {
		if (l4_receive(L4_IRQ_TID(line), L4_NEVER, NULL))
			continue;
		mr[0] = L4_TAG(L4_LABEL_INTERRUPT, 0, 0);
		l4_call(drv);
		mr[0] = 0;
		l4_send(L4_IRQ_TID(line), 0);           /* acknowledge */
	}
}

/* The PCI bus server, in a space of its own, started with the first driver. */
uint64_t pci_bus(void)
{
	static uint64_t tid;
	if (!tid)
		tid = thread_new_space(pci_bus_server, bootinfo->ecam_paddr);
	return tid;
}

uint64_t driver_start(void (*server)(uint64_t))
{
	uint64_t relay = thread_new_local(irq_relay, pci_bus());
	return relay ? thread_new_space(server, relay) : 0;
}
