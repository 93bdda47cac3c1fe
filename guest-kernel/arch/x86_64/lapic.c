/* Local APIC (xAPIC MMIO through the physmap) and the scheduler tick:
 * TSC-deadline when the CPU has it, else the periodic APIC timer. Both
 * are calibrated against PIT channel 2. The legacy 8259 PICs are
 * remapped out of the exception range and masked. */
#include "kernel.h"

#define LAPIC_EOI     0xb0
#define LAPIC_ISR     0x100
#define LAPIC_SVR     0xf0
#define LAPIC_LVT_TMR 0x320
#define LAPIC_TMR_INIT 0x380
#define LAPIC_TMR_CUR 0x390
#define LAPIC_TMR_DIV 0x3e0

volatile uint64_t ticks;
static volatile uint32_t *lapic;
uint64_t lapic_phys;
static uint64_t tsc_per_tick;

static uint32_t lapic_read(int r) { return lapic[r / 4]; }
static void lapic_write(int r, uint32_t v) { lapic[r / 4] = v; }

void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

/* Is an interrupt on this vector in service (its ISR bit set)? */
bool lapic_in_service(unsigned vector)
{
	return lapic && vector < 256 && (lapic_read(LAPIC_ISR + 0x10 * (int)(vector / 32)) >> (vector % 32) & 1);
}

static void pic_disable(void)
{
	static const uint8_t init[] = { 0x11, 0xe0, 4, 1 }, init2[] = { 0x11, 0xe8, 2, 1 };
	for (int i = 0; i < 4; i++) {
		outb(i ? 0x21 : 0x20, init[i]);
		outb(i ? 0xa1 : 0xa0, init2[i]);
	}
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/* Runs 10 ms of PIT channel 2; returns false if the PIT never finished. */
static bool pit_wait_10ms(void)
{
	const uint16_t count = 11932;    /* 1193182 Hz / 100 */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);                /* channel 2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	for (uint64_t i = 0; i < 100000000; i++)
		if (inb(0x61) & 0x20)
			return true;
	return false;
}

void lapic_init(void)
{
	pic_disable();
	lapic_phys = rdmsr(MSR_APIC_BASE) & 0xffffffffff000ull;
	lapic = P2V(lapic_phys);
	lapic_write(LAPIC_SVR, 0x100 | SPURIOUS_VECTOR);
	lapic_write(LAPIC_TMR_DIV, 0x3);           /* divide by 16 */
	lapic_write(LAPIC_LVT_TMR, 1u << 16);      /* masked while calibrating */
	lapic_write(LAPIC_TMR_INIT, 0xffffffff);
	uint64_t t0 = rdtsc();
	bool ok = pit_wait_10ms();
	uint64_t tsc10 = rdtsc() - t0;
	uint32_t apic10 = 0xffffffff - lapic_read(LAPIC_TMR_CUR);
	if (!ok) {
		kprintf("lapic: no PIT to calibrate against, assuming 1 GHz\n");
		tsc10 = 10000000;
		apic10 = 10000000 / 16;
	}
	kprintf("timer: calibrated 1 ms = %lu TSC cycles, %u APIC timer counts\n", tsc10 / 10, apic10 / 10);
	tsc_per_tick = tsc10 / (10000 / TICK_US);
	if (feat.tsc_deadline) {
		lapic_write(LAPIC_LVT_TMR, (2u << 17) | TIMER_VECTOR);
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + tsc_per_tick);
		kprintf("timer: tsc-deadline, %lu TSC cycles per %u us tick\n", tsc_per_tick, TICK_US);
	} else {
		uint32_t per_tick = apic10 / (10000 / TICK_US);
		lapic_write(LAPIC_LVT_TMR, (1u << 17) | TIMER_VECTOR);
		lapic_write(LAPIC_TMR_INIT, per_tick ? per_tick : 1);
		kprintf("timer: periodic apic timer, %u counts per %u us tick\n", per_tick, TICK_US);
	}
}

/* Called on every timer interrupt before the scheduler's tick. */
void lapic_timer_rearm(void)
{
	ticks++;
	if (feat.tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + tsc_per_tick);
}
