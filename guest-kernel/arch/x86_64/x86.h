/* Thin wrappers around x86-64 instructions and architectural constants. */
#ifndef X86_H
#define X86_H

#include <stdint.h>

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)

#define CR4_PAE        (1ull << 5)
#define CR4_PGE        (1ull << 7)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_FSGSBASE   (1ull << 16)
#define CR4_PCIDE      (1ull << 17)
#define CR4_SMEP       (1ull << 20)
#define CR4_SMAP       (1ull << 21)
#define CR4_PKE        (1ull << 22)

#define MSR_EFER           0xc0000080
#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_FMASK          0xc0000084
#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_APIC_BASE      0x1b
#define MSR_TSC_DEADLINE   0x6e0
#define EFER_SCE (1ull << 0)
#define EFER_NXE (1ull << 11)

#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_NT (1ull << 14)
#define RFLAGS_AC (1ull << 18)

/* Segment selectors (see gdt layout in cpu.c). SYSRET requires
 * user data = STAR[63:48] + 8 and user code = STAR[63:48] + 16. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS   0x28

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
#define DEFINE_CR(n) \
	static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
	static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline void invpcid(uint64_t type, uint64_t pcid, uint64_t va)
{
	struct { uint64_t pcid, va; } d = { pcid, va };
	__asm__ volatile("invpcid %0, %1" :: "m"(d), "r"(type) : "memory");
}
/* FS/GS bases without MSRs (CR4.FSGSBASE). In the kernel GS holds the
 * per-CPU base; the user's GS base is the swapped-out one. */
static inline uint64_t rdfsbase(void) { uint64_t v; __asm__ volatile("rdfsbase %0" : "=r"(v)); return v; }
static inline void wrfsbase(uint64_t v) { __asm__ volatile("wrfsbase %0" :: "r"(v)); }
static inline uint64_t read_user_gsbase(void)
{
	uint64_t v;
	__asm__ volatile("swapgs\n\trdgsbase %0\n\tswapgs" : "=r"(v));
	return v;
}
/* The user's GS base becomes v; returns what it was. */
static inline uint64_t exchange_user_gsbase(uint64_t v)
{
	uint64_t old;
	__asm__ volatile("swapgs\n\trdgsbase %0\n\twrgsbase %1\n\tswapgs" : "=&r"(old) : "r"(v) : "memory");
	return old;
}
/* Protection keys for user pages (CR4.PKE): PKRU holds, for each of the
 * 16 keys, access-disable (bit 2k) and write-disable (bit 2k+1). Both
 * instructions #UD without CR4.PKE: callers test feat.pku. */
static inline uint32_t rdpkru(void)
{
	uint32_t v, d;
	__asm__ volatile("rdpkru" : "=a"(v), "=d"(d) : "c"(0));
	return v;
}
static inline void wrpkru(uint32_t v)
{
	__asm__ volatile("wrpkru" :: "a"(v), "c"(0), "d"(0) : "memory");
}
static inline void stac(void) { __asm__ volatile("stac" ::: "memory", "cc"); }
static inline void clac(void) { __asm__ volatile("clac" ::: "memory", "cc"); }
static inline void hlt(void) { __asm__ volatile("hlt"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void clts(void) { __asm__ volatile("clts"); }
static inline void fxsave(void *p) { __asm__ volatile("fxsave64 (%0)" :: "r"(p) : "memory"); }
static inline void fxrstor(const void *p) { __asm__ volatile("fxrstor64 (%0)" :: "r"(p) : "memory"); }

/* The 64-bit task-state segment: the stacks for entries from user mode
 * (rsp[0]) and for IST vectors, and the I/O permission bitmap. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	uint8_t iomap[8192 + 1];     /* the extra byte must be all ones */
} __attribute__((packed));

/* Register state saved on the kernel stack at every entry from user mode
 * (and from kernel mode for exceptions). Layout shared with entry.S. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
#define VEC_SYSCALL 0x100 /* frame was built by the SYSCALL entry */
/* The error code of an exception vector's frame built for an external
 * interrupt, which pushes none (entry.S); real error codes are 32 bits. */
#define TRAP_NO_ERROR_CODE (~0ull)

#endif
