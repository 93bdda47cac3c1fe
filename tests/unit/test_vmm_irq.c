/* Interrupt routing (vmm/irq.c) and MSI-X delivery through it (vmm/pci/):
 * the GSI table keeps KVM's legacy routes and gains one MSI route per
 * vector in use; a vector's interrupt is a write to its eventfd while it is
 * unmasked, a PBA bit while it or the function is masked, delivered on
 * unmask; a reprogrammed vector is re-routed when unmasked. No VM here:
 * irq__init(&test_irq, NULL, true) keeps table and eventfds without the
 * ioctls. */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "io.h"
#include "irq.h"
#include "pci/pci.h"
#include "buses.h"
#include "unit.h"

static const struct msi_msg msg_a = { 0xfee00000, 0, 0x41 };
static const struct msi_msg msg_b = { 0xfee01000, 0, 0x4042 };

/* The one entry of type `type` for gsi in t, or NULL. */
static const struct kvm_irq_routing_entry *route(const struct irq_routes *t,
						 uint32_t gsi, uint32_t type)
{
	const struct kvm_irq_routing_entry *e[4];
	int n = irq_routes__lookup(t, gsi, e, 4);

	for (int i = 0; i < n; i++)
		if (e[i]->type == type)
			return e[i];
	return NULL;
}

static bool is_msi(const struct kvm_irq_routing_entry *e, const struct msi_msg *m)
{
	return e && e->type == KVM_IRQ_ROUTING_MSI && e->u.msi.address_lo == m->addr_lo &&
	       e->u.msi.address_hi == m->addr_hi && e->u.msi.data == m->data;
}

TEST(vmm_irq_routes_legacy_like_kvm)
{
	static struct irq_routes t;
	const struct kvm_irq_routing_entry *e[4];

	irq_routes__init(&t);
	CHECK(t.nr == 16 * 2 + 8);
	CHECK(t.next_gsi == IRQ_LEGACY_GSIS);
	/* GSI 4 (COM1): IOAPIC pin 4 and master 8259 pin 4. */
	CHECK(irq_routes__lookup(&t, 4, e, 4) == 2);
	int ioapic = 0, master = 0, slave = 0;
	for (uint32_t i = 0; i < t.nr; i++) {
		const struct kvm_irq_routing_entry *r = &t.e[i];

		REQUIRE(r->type == KVM_IRQ_ROUTING_IRQCHIP && r->gsi < IRQ_LEGACY_GSIS);
		if (r->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			CHECK(r->u.irqchip.pin == r->gsi);
			ioapic++;
		} else if (r->u.irqchip.irqchip == KVM_IRQCHIP_PIC_MASTER) {
			CHECK(r->gsi < 8 && r->u.irqchip.pin == r->gsi);
			master++;
		} else {
			CHECK(r->u.irqchip.irqchip == KVM_IRQCHIP_PIC_SLAVE);
			CHECK(r->gsi >= 8 && r->gsi < 16 && r->u.irqchip.pin == r->gsi - 8);
			slave++;
		}
	}
	CHECK(ioapic == 24 && master == 8 && slave == 8);
	CHECK(irq_routes__lookup(&t, 20, e, 4) == 1);   /* IOAPIC only */
	CHECK(irq_routes__lookup(&t, 24, e, 4) == 0);
}

TEST(vmm_irq_routes_msi_bookkeeping)
{
	static struct irq_routes t;
	uint32_t legacy;

	irq_routes__init(&t);
	legacy = t.nr;
	CHECK(irq_routes__add_msi(&t, &msg_a) == 24);
	CHECK(irq_routes__add_msi(&t, &msg_b) == 25);
	CHECK(is_msi(route(&t, 24, KVM_IRQ_ROUTING_MSI), &msg_a));
	CHECK(is_msi(route(&t, 25, KVM_IRQ_ROUTING_MSI), &msg_b));
	/* Re-pointing one route leaves the other alone. */
	CHECK(irq_routes__set_msi(&t, 24, &msg_b) == 0);
	CHECK(is_msi(route(&t, 24, KVM_IRQ_ROUTING_MSI), &msg_b));
	CHECK(is_msi(route(&t, 25, KVM_IRQ_ROUTING_MSI), &msg_b));
	/* Legacy GSIs and unknown GSIs are not MSI routes. */
	CHECK(irq_routes__set_msi(&t, 4, &msg_a) == -1);
	CHECK(route(&t, 4, KVM_IRQ_ROUTING_MSI) == NULL);
	CHECK(irq_routes__set_msi(&t, 26, &msg_a) == -1);
	/* Fill the table: the first GSI that does not fit is refused, and
	 * nothing already there changed. */
	int last = 0, gsi;
	while ((gsi = irq_routes__add_msi(&t, &msg_a)) >= 0)
		last = gsi;
	CHECK(t.nr == IRQ_MAX_ROUTES);
	CHECK(last == (int)(IRQ_LEGACY_GSIS + IRQ_MAX_ROUTES - legacy - 1));
	CHECK(irq_routes__add_msi(&t, &msg_a) == -1);
	CHECK(route(&t, 4, KVM_IRQ_ROUTING_IRQCHIP) != NULL);
	CHECK(is_msi(route(&t, 25, KVM_IRQ_ROUTING_MSI), &msg_b));
}

/* ---- MSI-X through the PCI core ---- */

static void no_bar(struct pci_device *d, int bar, uint64_t off, uint8_t *data,
		   uint32_t len, bool is_write)
{
	(void)d; (void)bar; (void)off; (void)data; (void)len; (void)is_write;
}

static struct pci_device dev = {
	.vendor_id = 0x1af4, .device_id = 0x1045, .class_code = 0xff0000,
	.bar_access = no_bar, .msix_vectors = 2, .msix_bar = 0,
};

static uint32_t cfg_rd(uint32_t off)
{
	uint32_t v = 0;

	pci__cfg_access(&test_pci, dev.slot, 0, off, (uint8_t *)&v, 4, false);
	return v;
}

static void cfg_wr(uint32_t off, uint32_t v)
{
	pci__cfg_access(&test_pci, dev.slot, 0, off, (uint8_t *)&v, 4, true);
}

static void table_wr(int vec, int word, uint32_t v)
{
	io__access(&test_io, NULL, IO_MMIO, pci__bar_address(&dev, 0) + 16u * vec + 4u * word,
		   (uint8_t *)&v, 4, true);
}

static void program(int vec, const struct msi_msg *m)
{
	table_wr(vec, 0, m->addr_lo);
	table_wr(vec, 1, m->addr_hi);
	table_wr(vec, 2, m->data);
}

static void vec_mask(int vec, bool masked)
{
	table_wr(vec, 3, masked);
}

static uint32_t pba(void)
{
	uint32_t v = 0;

	io__access(&test_io, NULL, IO_MMIO, pci__bar_address(&dev, 0) + 16u * dev.msix_vectors,
		   (uint8_t *)&v, 4, false);
	return v;
}

/* Interrupts written to vector vec's eventfd since the last call. */
static uint64_t fired(int vec)
{
	uint64_t n = 0;

	if (dev.msix_irq[vec].fd < 0 || read(dev.msix_irq[vec].fd, &n, 8) != 8)
		return 0;
	return n;
}

static const struct kvm_irq_routing_entry *vec_route(int vec)
{
	static struct irq_routes t;

	irq__routes(&test_irq, &t);
	return route(&t, (uint32_t)dev.msix_irq[vec].gsi, KVM_IRQ_ROUTING_MSI);
}

TEST(vmm_irq_msix_mask_pending_irqfd)
{
	uint32_t cap, ctrl;
	uint64_t sig;

	irq__init(&test_irq, NULL, true);
	REQUIRE(pci__init(&test_pci, &test_io, &test_irq) == 0);
	REQUIRE(pci__register(&test_pci, &dev) > 0);
	cap = cfg_rd(0x34) & 0xff;
	REQUIRE(cap && (cfg_rd(cap) & 0xff) == 0x11);
	ctrl = cfg_rd(cap);
	sig = irq__signal_msi_count(&test_irq);

	/* MSI-X off: pending only, and no GSI spent on it. */
	pci__msix_notify(&dev, 0);
	CHECK(pba() == 1 && dev.msix_irq[0].gsi == -1);
	/* Enabled, programmed, unmasked: routed, the pending one delivered. */
	cfg_wr(cap, ctrl | 0x80000000u);
	program(0, &msg_a);
	CHECK(dev.msix_irq[0].gsi == -1);            /* still masked */
	vec_mask(0, false);
	REQUIRE(dev.msix_irq[0].gsi >= IRQ_LEGACY_GSIS && dev.msix_irq[0].fd >= 0);
	CHECK(is_msi(vec_route(0), &msg_a));
	CHECK(fired(0) == 1 && pba() == 0);
	uint64_t before = irq__irqfd_count(&test_irq);
	pci__msix_notify(&dev, 0);
	pci__msix_notify(&dev, 0);
	CHECK(fired(0) == 2);
	CHECK(irq__irqfd_count(&test_irq) - before == 2);
	CHECK(dev.msix_irq[1].gsi == -1);            /* vector 1 never unmasked */

	/* Vector masked: PBA bit, no write; reprogramming a masked vector
	 * does not touch its route until it is unmasked. */
	vec_mask(0, true);
	pci__msix_notify(&dev, 0);
	CHECK(fired(0) == 0 && pba() == 1);
	int gsi = dev.msix_irq[0].gsi;
	program(0, &msg_b);
	CHECK(is_msi(vec_route(0), &msg_a));
	vec_mask(0, false);
	CHECK(dev.msix_irq[0].gsi == gsi && is_msi(vec_route(0), &msg_b));
	CHECK(fired(0) == 1 && pba() == 0);

	/* Function mask: same, for every vector. */
	cfg_wr(cap, ctrl | 0xc0000000u);
	pci__msix_notify(&dev, 0);
	CHECK(fired(0) == 0 && pba() == 1);
	cfg_wr(cap, ctrl | 0x80000000u);
	CHECK(fired(0) == 1 && pba() == 0);
	CHECK(irq__signal_msi_count(&test_irq) == sig);

	/* Without irqfd every interrupt is a KVM_SIGNAL_MSI. */
	irq__init(&test_irq, NULL, false);
	before = irq__irqfd_count(&test_irq);
	pci__msix_notify(&dev, 0);
	CHECK(fired(0) == 0);
	CHECK(irq__signal_msi_count(&test_irq) == sig + 1 && irq__irqfd_count(&test_irq) == before);
	cfg_wr(cap, ctrl);
}
