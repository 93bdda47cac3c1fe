/* The tiny PVH test guests: one boot/runtime (boot.S, trap.S, cpu.c, lib.c)
 * shared by one small program per behaviour under test (hello.c, syscall.c,
 * privfault.c, pcid.c, triple.c). Each program defines test_main().
 *
 * Memory: the image is loaded at 1 MiB; the first 1 GiB is identity-mapped
 * with 2 MiB pages that user mode may also use, so a test can run any of its
 * own functions at CPL3. Interrupts stay disabled for the whole run.
 */
#ifndef TESTGUEST_GUEST_H
#define TESTGUEST_GUEST_H

/* GDT selectors. SYSCALL loads CS = KERNEL_CS, SS = KERNEL_CS + 8; SYSRET
 * loads CS = USER32_CS + 16 (USER_CS), SS = USER32_CS + 8 (USER_DS), so the
 * order of these entries is fixed by the architecture. */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER32_CS 0x18 /* only there to give SYSRET its layout; never used */
#define USER_DS   0x20
#define USER_CS   0x28
#define TSS_SEL   0x30 /* a 16-byte descriptor: two GDT slots */
#define GDT_SLOTS 8

#define NR_EXCEPTIONS 32

#ifndef __ASSEMBLER__

#include <stdint.h>
#include <mkvm/pvh.h>
#include <mkvm/testexit.h>

/* What trap.S pushes: general registers, then vector and error code (0 when
 * the CPU pushes none), then the CPU's own interrupt frame. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* test_main: each test program's body, run at CPL0 after cpu_init. */
void test_main(struct hvm_start_info *si);

/* cpu.c */
void cpu_init(void);
void cpu_load_empty_idt(void);
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t val);
uint64_t read_cr3(void);
void write_cr3(uint64_t val);
uint64_t read_cr4(void);
void write_cr4(uint64_t val);
unsigned read_cs(void);
void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]);

/* trap.S: user_run enters fn at CPL3 on its own stack and returns the value
 * passed to user_return, which only ring-0 code (a trap handler or the
 * SYSCALL handler) may call. syscall_entry is the LSTAR target. */
extern uint64_t trap_stubs[NR_EXCEPTIONS];
uint64_t user_run(void (*fn)(void));
__attribute__((noreturn)) void user_return(uint64_t val);
void syscall_entry(void);

/* lib.c */
extern int (*trap_hook)(struct trap_frame *f); /* nonzero: handled */
void trap(struct trap_frame *f);
void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void guest_exit(uint8_t code);
__attribute__((noreturn)) void fail(const char *what);

#endif
#endif
