/* msix.elf: a virtio queue interrupt delivered as an MSI-X message, on mkvm
 * (--rng) and QEMU (-device virtio-rng-pci,disable-legacy=on). Programs MSI-X
 * table entry 1 for vector 0x40 on the boot CPU's local APIC (xAPIC, which
 * QEMU's TCG also has), points the rng queue at it, and checks: a request
 * raises exactly one interrupt; with the entry masked the request completes
 * but no interrupt arrives and the PBA bit is set; unmasking delivers it.
 * Then a legacy interrupt: COM1's IRQ 4 through IOAPIC pin 4 must still
 * arrive once MSI routes exist (mkvm's KVM_SET_GSI_ROUTING replaces the
 * whole table, so it must keep the in-kernel irqchip's ISA routes). */
#include <stddef.h>
#include "guest.h"
#include "vdrv.h"

#define VECTOR     0x40
#define COM1_VECTOR 0x41
#define COM1       0x3f8
#define COM1_IRQ   4
#define IOAPIC     0xfec00000ull
#define LAPIC      0xfee00000ull
#define LAPIC_TPR  0x80
#define LAPIC_EOI  0xb0
#define LAPIC_SVR  0xf0
#define IRQ_WAIT   1000000000ull /* TSC cycles */

static struct vdev d;
static uint8_t buf[16];
volatile unsigned irq_count, com1_count;
volatile uint32_t *lapic_eoi;

/* The interrupt handler: count, EOI, return. */
void irq_entry(void);
__asm__(".text\n"
	".globl irq_entry\n"
	"irq_entry:\n"
	"	pushq %rax\n"
	"	lock incl irq_count(%rip)\n"
	"	movq lapic_eoi(%rip), %rax\n"
	"	movl $0, (%rax)\n"
	"	popq %rax\n"
	"	iretq\n"
	".globl com1_entry\n"
	"com1_entry:\n"
	"	pushq %rax\n"
	"	lock incl com1_count(%rip)\n"
	"	movq lapic_eoi(%rip), %rax\n"
	"	movl $0, (%rax)\n"
	"	popq %rax\n"
	"	iretq\n");
void com1_entry(void);

struct gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));

static struct gate gate(void (*fn)(void))
{
	uint64_t h = (uint64_t)fn;

	return (struct gate){ (uint16_t)h, KERNEL_CS, 0, 0x8e, (uint16_t)(h >> 16),
			      (uint32_t)(h >> 32), 0 };
}

/* Keeps the runtime's exception gates and adds VECTOR and COM1_VECTOR. */
static void idt_add_vector(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) p;

	__asm__ volatile("sidt %0" : "=m"(p));
	const uint8_t *old = (const uint8_t *)p.base;
	uint8_t *new = (uint8_t *)idt;
	for (unsigned i = 0; i <= p.limit && i < sizeof(idt); i++)
		new[i] = old[i];
	idt[VECTOR] = gate(irq_entry);
	idt[COM1_VECTOR] = gate(com1_entry);
	p.limit = sizeof(idt) - 1;
	p.base = (uint64_t)idt;
	__asm__ volatile("lidt %0" : : "m"(p));
}

static volatile uint32_t *lapic(unsigned reg)
{
	return (volatile uint32_t *)(LAPIC + reg);
}

/* Firmware (QEMU's SeaBIOS) may leave the PIT ticking into the 8259s:
 * mask them so that only the MSI reaches the CPU while interrupts are on. */
static void pic_mask(void)
{
	__asm__ volatile("outb %0, $0x21; outb %0, $0xa1" : : "a"((uint8_t)0xff));
}

static void lapic_init(void)
{
	pic_mask();
	vdrv_map_mmio(LAPIC);
	*lapic(LAPIC_TPR) = 0;
	*lapic(LAPIC_SVR) = 0x100 | 0xff; /* software enable, spurious 0xff */
	lapic_eoi = lapic(LAPIC_EOI);
}

/* Waits with interrupts on until *count moved from before or IRQ_WAIT
 * passed. */
static void wait_count(volatile unsigned *count, unsigned before)
{
	uint64_t start = vdrv_tsc();

	__asm__ volatile("sti");
	while (*count == before && vdrv_tsc() - start < IRQ_WAIT)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
}

static void wait_irq(unsigned before)
{
	wait_count(&irq_count, before);
}

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

/* COM1 raises IRQ 4 (transmitter empty) with IOAPIC pin 4 sending
 * COM1_VECTOR, edge-triggered, to APIC 0: exactly one interrupt. */
static void com1_irq_check(void)
{
	ioapic_write(0x10 + 2 * COM1_IRQ + 1, 0);
	ioapic_write(0x10 + 2 * COM1_IRQ, COM1_VECTOR);
	outb(COM1 + 4, inb(COM1 + 4) | 0x08);   /* OUT2 gates the IRQ */
	outb(COM1 + 1, 0x02);                    /* interrupt on THR empty */
	wait_count(&com1_count, 0);
	outb(COM1 + 1, 0x00);
	(void)inb(COM1 + 2);
	ioapic_write(0x10 + 2 * COM1_IRQ, 1u << 16);
	if (com1_count != 1) {
		print("virtio-msix: %u COM1 interrupts, expected 1\n", com1_count);
		fail("virtio-msix: COM1 interrupt through IOAPIC pin 4");
	}
	print("virtio-msix: COM1 interrupt through IOAPIC pin %d with MSI routes set\n",
	      COM1_IRQ);
}

static void request(void)
{
	d.q[0].desc[0] = (struct virtq_desc){ (uintptr_t)buf, sizeof(buf),
					      VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&d, 0, 0);
}

void test_main(struct hvm_start_info *si)
{
	struct vdrv_msix m;
	uint32_t len;

	(void)si;
	idt_add_vector();
	lapic_init();
	vdev_find(&d, VIRTIO_ID_RNG, "virtio-msix");
	vdev_init(&d, 0, 1);
	if (vdrv_msix_find(&d, &m) < 2)
		fail("virtio-msix: fewer than 2 MSI-X vectors");
	vdrv_msix_set(&m, 1, LAPIC, VECTOR, false);
	vdrv_msix_enable(&d, &m);
	d.common->queue_select = 0;
	d.common->queue_msix_vector = 1;
	if (d.common->queue_msix_vector != 1)
		fail("virtio-msix: the device refused vector 1");

	request();
	wait_irq(0);
	if (!vq_wait(&d, 0, NULL, &len) || irq_count != 1)
		fail("virtio-msix: no interrupt for a completed request");
	print("virtio-msix: queue interrupt delivered as vector 0x%x\n", VECTOR);

	vdrv_msix_set(&m, 1, LAPIC, VECTOR, true);
	request();
	if (!vq_wait(&d, 0, NULL, &len))
		fail("virtio-msix: request with the vector masked did not complete");
	wait_irq(1);
	if (irq_count != 1)
		fail("virtio-msix: interrupt delivered through a masked entry");
	if (!vdrv_msix_pending(&m, 1))
		fail("virtio-msix: masked interrupt not pending in the PBA");
	print("virtio-msix: masked: no interrupt, PBA bit set\n");
	vdrv_msix_set(&m, 1, LAPIC, VECTOR, false);
	wait_irq(1);
	if (irq_count != 2)
		fail("virtio-msix: unmasking did not deliver the pending interrupt");
	print("virtio-msix: unmasked: pending interrupt delivered\n");
	com1_irq_check();
	guest_exit(MKVM_TEST_PASS);
}
