/* IOAPIC: GSI n is delivered to vector IRQ_VECTOR_BASE + n on CPU 0,
 * masked until a user thread attaches to it (irq.c). ISA lines follow the
 * MADT's overrides (irq_gsi) and polarity/trigger flags. */
#include "kernel.h"

static volatile uint32_t *ioapic;
static int nlines;

static void ioapic_write(uint32_t reg, uint32_t v) { ioapic[0] = reg; ioapic[4] = v; }
static uint32_t ioapic_read(uint32_t reg) { ioapic[0] = reg; return ioapic[4]; }

static int line_of(int irq) { return irq < 16 ? (int)irq_gsi[irq] : irq; }

static void redirect(int irq, bool masked)
{
	int gsi = line_of(irq);
	if (gsi >= nlines)
		return;
	uint32_t lo = IRQ_VECTOR_BASE + irq;
	uint16_t fl = irq < 16 ? irq_flags[irq] : 0;
	if ((fl & 3) == 3 || irq >= 16)
		lo |= 1u << 13;              /* active low (PCI lines, or override says so) */
	if (((fl >> 2) & 3) == 3 || irq >= 16)
		lo |= 1u << 15;              /* level triggered */
	if (masked)
		lo |= 1u << 16;
	ioapic_write(0x10 + 2 * gsi + 1, 0);  /* destination: APIC id 0 */
	ioapic_write(0x10 + 2 * gsi, lo);
}

void ioapic_init(void)
{
	ioapic = P2V(ioapic_phys);
	nlines = ((ioapic_read(1) >> 16) & 0xff) + 1;
	for (int irq = 0; irq < L4_NIRQ; irq++)
		redirect(irq, true);
}

void ioapic_mask(int irq, bool masked)
{
	redirect(irq, masked);
}
