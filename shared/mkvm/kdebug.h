/* The kernel's self-description for debuggers: where its thread and space
 * tables are and where the fields a debugger shows sit in them. The kernel
 * exports one at the symbol mkvm_kdebug_desc (guest-kernel/kdebug.c); mkvm's
 * gdb stub reads it from guest memory after "monitor kdesc ADDR" and
 * validates every word of it, so it is data only, never trusted.
 *
 * Version 1 fixes the field sizes: tcb id u64 (L4 id, number << 16 |
 * version), state u32 (MKVM_KDEBUG_T_*), space u64 (kernel virtual address
 * of an entry of the space table), priority u8, name MKVM_KDEBUG_NAME bytes
 * (NUL-padded, not trusted to be terminated or printable); space cr3 u64 (physical
 * address of the PML4), pcid u16. A field the kernel does not have has
 * offset MKVM_KDEBUG_NONE. All addresses are kernel virtual addresses,
 * mapped in every address space. Little-endian, no padding.
 *
 * Version 2 adds what a debugger needs to show a thread that is not
 * running: tcb_frame, the offset of a u64 pointer to the thread's saved
 * user registers (struct mkvm_kdebug_frame, the kernel's trapframe, at the
 * top of its kernel stack); tcb_fs_base and tcb_gs_base (u64 user segment
 * bases, valid while the thread is switched out); and current, the address
 * of the u64 pointer to the thread running on the (one) CPU, which may
 * point outside the thread table (the idle thread). The symbol
 * mkvm_kdebug_desc in the kernel ELF locates the description.
 *
 * The kernel also calls mkvm_kdebug_named (a symbol of its ELF, a
 * function that does nothing) with a thread's TCB address in rdi each
 * time a thread is given its name (the kernel names the boot tasks; the
 * root task names each program's first thread), before the thread's first
 * instruction: a debugger that breaks there learns of each program as it
 * starts. */
#ifndef MKVM_KDEBUG_H
#define MKVM_KDEBUG_H

#include <stdint.h>

#define MKVM_KDEBUG_MAGIC   0x42444b4du /* "MKDB" */
#define MKVM_KDEBUG_VERSION 2
#define MKVM_KDEBUG_NONE    0xffffu
#define MKVM_KDEBUG_NAME    16

enum mkvm_kdebug_state {
	MKVM_KDEBUG_T_FREE,		/* unused slot: not listed */
	MKVM_KDEBUG_T_READY,
	MKVM_KDEBUG_T_SEND_WAIT,
	MKVM_KDEBUG_T_RECV_WAIT,
	MKVM_KDEBUG_T_DEAD,
};

struct mkvm_kdebug {
	uint32_t magic;
	uint16_t version;
	uint16_t size;			/* sizeof(struct mkvm_kdebug) */
	uint64_t threads;		/* thread table: nthreads tcbs */
	uint64_t spaces;		/* space table: nspaces entries */
	uint32_t nthreads, thread_stride;
	uint32_t nspaces, space_stride;
	uint16_t tcb_id, tcb_state, tcb_space, tcb_prio, tcb_name;
	uint16_t space_cr3, space_pcid;
	uint16_t tcb_frame, tcb_fs_base, tcb_gs_base;	/* version 2 */
	uint16_t reserved;
	uint64_t current;				/* version 2 */
};

/* A thread's saved user registers, as the kernel's entry code pushes them. */
struct mkvm_kdebug_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

#endif
