/* Processor set-up: feature detection, control registers, GDT and TSS (with
 * IST stacks and the I/O bitmap), SYSCALL MSRs, per-CPU data in GS. */
#include "kernel.h"

struct features feat;
struct cpu cpu0;

struct tss tss __attribute__((aligned(4096)));
static uint64_t gdt[7];
static uint8_t ist_stacks[3][4096] __attribute__((aligned(16)));

#define IOMAP_OFF  ((uint16_t)__builtin_offsetof(struct tss, iomap))
#define IOMAP_NONE ((uint16_t)sizeof(struct tss)) /* beyond the limit: all ports fault */

void cpu_detect(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	feat.pcid = r[2] & (1u << 17);
	feat.tsc_deadline = r[2] & (1u << 24);
	feat.pge = r[3] & (1u << 13);
	cpuid(7, 0, r);
	feat.fsgsbase = r[1] & (1u << 0);
	feat.smep = r[1] & (1u << 7);
	feat.invpcid = r[1] & (1u << 10);
	feat.smap = r[1] & (1u << 20);
	feat.pku = r[2] & (1u << 3);
	cpuid(0x80000001, 0, r);
	feat.nx = r[3] & (1u << 20);
	cpuid(0, 0, r);
	bool amd = r[1] == 0x68747541 && r[3] == 0x69746e65 && r[2] == 0x444d4163; /* AuthenticAMD */
	cpuid(0x80000000, 0, r);
	uint32_t max_ext = r[0];
	cpuid(0x80000008, 0, r);
	feat.fxsave_leak = amd && !(max_ext >= 0x80000008 && (r[1] & (1u << 2)));
	kprintf("cpu: nx=%d smep=%d smap=%d fsgsbase=%d pcid=%d invpcid=%d tsc-deadline=%d\n",
		feat.nx, feat.smep, feat.smap, feat.fsgsbase, feat.pcid, feat.invpcid,
		feat.tsc_deadline);
	if (feat.pku)
		kprintf("cpu: pku=1: protection keys for user pages (zones)\n");
	else
		kprintf("cpu: no PKU: protection keys and zones unavailable\n");
}

static uint64_t seg(uint64_t flags) { return flags << 40 | 0xfull << 48 | 0xffff; }

static void gdt_init(void)
{
	gdt[1] = seg(0x209a);               /* kernel code: L, P, DPL0, code */
	gdt[2] = seg(0xc092);               /* kernel data */
	gdt[3] = seg(0xc0f2);               /* user data, DPL3 */
	gdt[4] = seg(0x20fa);               /* user code, L, DPL3 */
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	gdt[5] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
		 ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[6] = base >> 32;
	struct { uint16_t lim; uint64_t base; } __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ax\n\t"
			 "mov %%ax, %%ds\n\t"
			 "mov %%ax, %%es\n\t"
			 "mov %%ax, %%ss\n\t"
			 "xor %%eax, %%eax\n\t"
			 "mov %%ax, %%fs\n\t"
			 "mov %%ax, %%gs\n\t"
			 :: "m"(gdtr), "i"(SEL_KCODE), "i"(SEL_KDATA) : "rax", "memory");
	for (int i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)ist_stacks[i] + sizeof(ist_stacks[0]);
	tss.iomap_base = IOMAP_NONE;
	tss.iomap[8192] = 0xff;
	__asm__ volatile("ltr %w0" :: "r"(SEL_TSS));
}

void cpu_init(void)
{
	uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (feat.pge)
		cr4 |= CR4_PGE;
	if (feat.smep)
		cr4 |= CR4_SMEP;
	if (feat.smap)
		cr4 |= CR4_SMAP;
	if (feat.fsgsbase)
		cr4 |= CR4_FSGSBASE;
	if (feat.pku)
		cr4 |= CR4_PKE;
	write_cr4(cr4);
	if (feat.pku)
		wrpkru(0);              /* every key open until a zone says otherwise */
	/* NE: x87 errors are #MF, not the legacy FERR# line */
	write_cr0((read_cr0() | CR0_MP | CR0_NE | CR0_WP) & ~CR0_EM);
	uint64_t efer = rdmsr(MSR_EFER) | EFER_SCE;
	if (feat.nx)
		efer |= EFER_NXE;
	wrmsr(MSR_EFER, efer);
	gdt_init();
	/* SYSRET loads CS = STAR[63:48] + 16, SS = STAR[63:48] + 8 */
	wrmsr(MSR_STAR, (uint64_t)(SEL_KDATA | 0) << 48 | (uint64_t)SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* the kernel runs with these clear whatever user mode left in them: NT
	 * would make the next IRETQ fault in ring 0, AC would lift SMAP */
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC);
	cpu0.self = &cpu0;
	wrmsr(MSR_GS_BASE, (uint64_t)&cpu0);
	/* the user bases start at 0, as cpu0.fs_base and gs_base say */
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

/* Makes the TSS I/O bitmap that of s (copied only when it changes hands). */
void cpu_load_iobitmap_slow(struct space *s)
{
	cpu0.io_open = s->iobitmap;
	if (!s->iobitmap) {
		tss.iomap_base = IOMAP_NONE;
		return;
	}
	if (cpu0.io_loaded != s) {
		memcpy(tss.iomap, s->iobitmap, 8192);
		cpu0.io_loaded = s;
	}
	tss.iomap_base = IOMAP_OFF;
}
