/* Descriptor tables and the privileged-instruction wrappers. */
#include "guest.h"

#define SEG_CODE64(dpl) (0x00af9a000000ffffull | (uint64_t)(dpl) << 45)
#define SEG_CODE32(dpl) (0x00cf9a000000ffffull | (uint64_t)(dpl) << 45)
#define SEG_DATA(dpl)   (0x00cf92000000ffffull | (uint64_t)(dpl) << 45)

/* The TSS slot is filled by cpu_init; boot.S loads this GDT while still in
 * 32-bit mode, when lgdt reads only the low 4 bytes of the base. */
uint64_t gdt[GDT_SLOTS] = {
	[KERNEL_CS / 8] = SEG_CODE64(0),
	[KERNEL_DS / 8] = SEG_DATA(0),
	[USER32_CS / 8] = SEG_CODE32(3),
	[USER_DS / 8]   = SEG_DATA(3),
	[USER_CS / 8]   = SEG_CODE64(3),
};

struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

struct desc_ptr gdt_ptr = { sizeof(gdt) - 1, (uint64_t)gdt };

/* 64-bit TSS: only rsp0 (the stack for traps from CPL3) is used. The I/O
 * map base lies past the limit, so every port access at CPL3 faults. */
static struct __attribute__((packed)) {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} tss;

static struct {
	uint16_t offset_low, selector;
	uint8_t ist, type_attr;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
} idt[NR_EXCEPTIONS];

static _Alignas(16) uint8_t trap_stack[8192];

static void tss_init(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	tss.rsp[0] = (uint64_t)(trap_stack + sizeof(trap_stack));
	tss.iomap_base = sizeof(tss);
	gdt[TSS_SEL / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			   0x89ull << 40 /* present, 64-bit available TSS */ |
			   (limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
	gdt[TSS_SEL / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
}

/* Interrupt gates (IF cleared on entry), DPL 0: `int N` from CPL3 is #GP. */
static void idt_init(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	for (int v = 0; v < NR_EXCEPTIONS; v++) {
		uint64_t h = trap_stubs[v];
		idt[v].offset_low = h & 0xffff;
		idt[v].selector = KERNEL_CS;
		idt[v].type_attr = 0x8e;
		idt[v].offset_mid = h >> 16 & 0xffff;
		idt[v].offset_high = h >> 32;
	}
	__asm__ volatile("lidt %0" : : "m"(p));
}

void cpu_init(void)
{
	tss_init();
	idt_init();
}

/* After this any exception escalates to a triple fault. */
void cpu_load_empty_idt(void)
{
	struct desc_ptr p = { 0, 0 };
	__asm__ volatile("lidt %0" : : "m"(p));
}

uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

void wrmsr(uint32_t msr, uint64_t val)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

void write_cr3(uint64_t val)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(val) : "memory");
}

uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

void write_cr4(uint64_t val)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(val) : "memory");
}

unsigned read_cs(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}
