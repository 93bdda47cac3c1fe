/* The kernel's objects and every cross-file function, grouped by file. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mkvm/abi.h>
#include "arch/x86_64/x86.h"

#define KERNEL_VBASE 0xffffffff80000000ull
#define PHYSMAP_BASE 0xffff800000000000ull /* all physical memory, NX */
#define P2V(pa) ((void *)((uint64_t)(pa) + PHYSMAP_BASE))
#define V2P(va) ((uint64_t)(va) - PHYSMAP_BASE) /* physmap addresses only */
#define PAGE_SIZE 4096ull
#define KSTACK_SIZE (4 * PAGE_SIZE)
#define MAX_THREADS 1024
/* Kernel stacks as the kernel uses them: slot n (thread number n; the last
 * slot the idle thread's) is 2 * KSTACK_SIZE bytes, the stack in the upper
 * half and an unmapped guard in the lower (paging.c). */
#define KSTACK_AREA  0xffffff0000000000ull
#define KSTACK_SLOTS (MAX_THREADS + 1)
#define KSTACK_IDLE_SLOT MAX_THREADS
#define TICK_US 1000 /* timer period */

/* User instruction (and stack) pointers must be canonical lower-half
 * addresses: SYSRET and IRETQ would fault in ring 0 on a bad rip. */
#define USER_IP_OK(ip) ((uint64_t)(ip) < 0x0000800000000000ull)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An address space: page tables (the cache of the mapping database) and
 * the resources the kernel tracks for it. */
struct space {
	uint64_t *pml4;        /* kernel virtual address */
	uint64_t pml4_phys;
	uint16_t pcid;         /* valid while pcid_gen == the current generation */
	uint32_t pcid_gen;
	bool needs_flush;      /* stale TLB entries under pcid (no INVPCID) */
	bool privileged;       /* may create threads and attach interrupts */
	struct space *owner;   /* the space that created it; NULL for the boot tasks */
	uint64_t id;           /* the id of the thread it was created with */
	uint32_t kmem;         /* kernel pages used on its behalf and its children's */
	uint32_t kmem_limit;   /* at most that many (0: no limit of its own) */
	bool sigma0;           /* idempotent view of physical memory */
	int nthreads;
	uint8_t *iobitmap;     /* 8 KiB, bit set = port denied; NULL = no ports */
	uint64_t destroyed;    /* while being destroyed: mappings below are gone */
	bool zoned;            /* has zones (zone.c): exregs refused, executable
				  pages only from a space that controls it */
	struct zone_entry {    /* registered by a space that controls it */
		uint64_t ip, sp;   /* 0: none */
		uint32_t pkru;
	} zone[L4_ZONE_ENTRIES];
};

enum thread_state {
	T_FREE,       /* slot unused */
	T_READY,      /* runnable (or running) */
	T_SEND_WAIT,  /* queued on partner's senders */
	T_RECV_WAIT,  /* waiting for a message from recv_from */
	T_DEAD,       /* killed; id stays until thread_control deletes it */
};

/* Thread control block. The kernel stack belongs to the thread: a blocked
 * thread sleeps inside the kernel on its own stack. */
struct tcb {
	uint64_t tid;
	enum thread_state state;
	struct space *space;
	uint64_t pager;
	uint64_t exc_handler;         /* nil: exceptions go to the pager */
	uint64_t ksp;                /* saved kernel rsp while switched out */
	bool cont;                   /* switched out with no kernel context: it
					continues from its user frame (ipc_fast.c) */
	uint8_t *kstack;             /* KSTACK_SIZE bytes in its KSTACK_AREA slot */
	struct trapframe *frame;     /* user state, top of kstack */
	struct l4_utcb *utcb;        /* kernel view of the UTCB page */
	uint64_t utcb_uaddr;
	uint64_t fs_base, gs_base;
	uint32_t pkru;               /* its PKRU while it does not run (with PKU) */
	uint32_t zdepth;             /* kernel zone calls it is in (zone.c) */
	struct zone_frame {          /* the caller's, restored by the return */
		uint64_t ip, sp, rbx, rbp, r12, r13, r14, r15;
		uint32_t pkru;
	} zret[L4_ZONE_DEPTH];

	/* IPC */
	uint64_t recv_from;          /* while T_RECV_WAIT, or pending after send */
	uint32_t recv_timeout;       /* for the receive phase after a send */
	struct tcb *partner;         /* while T_SEND_WAIT */
	struct tcb *send_head, *send_tail; /* threads waiting to send to us */
	struct tcb *send_next;
	int ipc_result;              /* set by whoever wakes us */
	bool kmsg;                   /* IPC uses kmr[] (kernel protocol), not user regs */
	bool startup;                /* waiting for the start message from pager */
	uint64_t kmr[24];               /* fits the exception message */
	uint32_t irq_pending;        /* its lines with an undelivered interrupt */
	uint64_t deadline;           /* tick, 0 = none */
	struct tcb *timeout_next, **timeout_pprev;

	/* scheduling */
	uint8_t prio;
	char name[16];               /* for debuggers (L4_SYS_DEBUG_NAME); NUL-padded */
	uint32_t timeslice, remaining;
	struct tcb *rq_next, *rq_prev;

	/* lazy FPU */
	bool fpu_valid;
	uint8_t fpu[512] __attribute__((aligned(16)));
} __attribute__((aligned(1024)));
/* A power of two, so a thread number becomes its TCB with one shift. */
_Static_assert((sizeof(struct tcb) & (sizeof(struct tcb) - 1)) == 0, "struct tcb size");

/* Per-CPU data, reached through GS in the kernel. Offsets used by entry.S. */
struct cpu {
	struct cpu *self;            /* 0 */
	uint64_t kstack_top;         /* 8: rsp0 for SYSCALL */
	uint64_t user_rsp;           /* 16: scratch in the SYSCALL entry */
	struct tcb *current;         /* 24 */
	struct space *space;         /* space whose page tables are loaded */
	struct tcb *idle;
	struct tcb *fpu_owner;
	bool need_resched;
	struct space *io_loaded;     /* space whose I/O bitmap is in the TSS */
	uint64_t fs_base, gs_base;   /* user bases in the MSRs (without FSGSBASE) */
	bool ts;                     /* CR0.TS is set */
	bool io_open;                /* the TSS I/O bitmap is in force (some ports allowed) */
};
extern struct cpu cpu0;
extern struct tss tss;
static inline struct cpu *this_cpu(void) { return &cpu0; } /* one CPU for now */
static inline struct tcb *current(void) { return cpu0.current; }

/* Features chosen at boot. */
struct features {
	bool nx, smep, smap, fsgsbase, pcid, invpcid, pge, tsc_deadline;
	bool pku;          /* protection keys for user pages, CR4.PKE on */
	bool fxsave_leak;  /* AMD without XSAVEERPTR: FXSAVE omits FIP/FDP/FOP */
};
extern struct features feat;

/* Boot information copied out of hvm_start_info. */
struct bootinfo {
	uint64_t module_paddr, module_size;
	uint64_t rsdp;
	uint64_t mem_top;
	char cmdline[256];
	int nmem;
	struct { uint64_t base, size; } mem[32]; /* RAM only */
};
extern struct bootinfo boot;

/* console.c */
void console_init(void);
void console_putc(char c);
/* kdebug.c: a debugger's hook, called when a thread is named; its first
 * byte is a nop a debugger may turn into an int3 */
void mkvm_kdebug_named(const struct tcb *t);
extern unsigned long kdebug_bp_passed;
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* string.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* bootinfo.c */
void bootinfo_parse(uint32_t info_pa, uint32_t magic);
bool cmdline_has(const char *word);

/* acpi.c */
void acpi_init(void);
extern uint64_t ioapic_phys, ecam_base;
extern uint32_t irq_gsi[16];  /* ISA irq -> GSI (interrupt source overrides) */
extern uint16_t irq_flags[16];

/* mem.c: kernel memory pool. */
void mem_init(void);
void *page_alloc(void);               /* zeroed page, kernel VA; NULL if none */
void page_free(void *p);
void *pages_alloc(uint64_t n);        /* n contiguous zeroed pages; NULL if none */
void pages_free(void *p, uint64_t n);
uint64_t *mem_page_meta(void *page);  /* a word per pool page for its owner */
bool mem_is_ram(uint64_t pa);
bool mem_is_sigma0_frame(uint64_t pa); /* may sigma0 hand this frame out? */
uint64_t mem_next_sigma0_frame(uint64_t pa, uint64_t end);
uint64_t mem_phys_top(void);
extern uint64_t kpool_base, kpool_end;

/* arch/x86_64/cpu.c */
void cpu_detect(void);
void cpu_init(void);
void cpu_load_iobitmap_slow(struct space *s);
static inline void cpu_set_kstack(uint64_t top)
{
	__builtin_memcpy(&tss.rsp[0], &top, sizeof(top));   /* unaligned */
	cpu0.kstack_top = top;
}
/* Makes the TSS I/O bitmap that of s: nothing to do when neither the
 * loaded one nor s allows any port. */
static inline void cpu_load_iobitmap(struct space *s)
{
	if (s->iobitmap || cpu0.io_open)
		cpu_load_iobitmap_slow(s);
}

/* arch/x86_64/paging.c */
void paging_init(void);
uint64_t *pte_walk(struct space *s, uint64_t va, bool alloc);
struct space *space_alloc_tables(struct space *s);
void space_free_tables(struct space *s);
void *kstack_map(unsigned slot, void *stack); /* the stack's address in its slot */
void *kstack_unmap(unsigned slot);            /* the stack's pages (physmap address) */
int kstack_guard_slot(uint64_t va);           /* the slot whose guard holds va, or -1 */
extern uint64_t kernel_pml4_phys;
#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_KOWNED (1ull << 9) /* kernel-installed user page (UTCB, boot info) */
#define PTE_NX  (1ull << 63)
#define PTE_PKEY_SHIFT 59    /* protection key, bits 62..59 (with CR4.PKE) */
#define PTE_ADDR 0x000ffffffffff000ull

/* arch/x86_64/pcid.c */
void pcid_init(void);
void tlb_switch_slow(struct space *s);
/* Loads s's page tables, unless they are loaded. */
static inline void tlb_switch(struct space *s)
{
	if (cpu0.space == s)
		return;
	if (!feat.pcid) {
		cpu0.space = s;
		write_cr3(s->pml4_phys);
		return;
	}
	tlb_switch_slow(s);
}
void tlb_switch_kernel(void);
void tlb_flush_page(struct space *s, uint64_t va);
void tlb_flush_kernel_page(uint64_t va);

/* arch/x86_64/trap.c */
void idt_init(void);
void trap_dispatch(struct trapframe *f);

/* arch/x86_64/lapic.c */
void lapic_init(void);
void lapic_eoi(void);
bool lapic_in_service(unsigned vector);
void lapic_timer_rearm(void);
extern volatile uint64_t ticks;
extern uint64_t lapic_phys;

/* arch/x86_64/ioapic.c */
void ioapic_init(void);
void ioapic_mask(int irq, bool masked);
#define IRQ_VECTOR_BASE 0x20
#define MSI_VECTOR_BASE 0x40
#define TIMER_VECTOR    0xf0
#define SPURIOUS_VECTOR 0xff

/* arch/x86_64/fpu.c */
void fpu_init(void);
void fpu_set_ts(bool ts);
/* On every switch: the registers belong to next, or access must trap. CR0
 * is written only when that changes (it is serializing and slow). */
static inline void fpu_switch(struct tcb *next)
{
	bool ts = cpu0.fpu_owner != next;
	if (ts != cpu0.ts)
		fpu_set_ts(ts);
}
void fpu_trap(void);
void fpu_release(struct tcb *t);

/* arch/x86_64/entry.S */
void switch_context(uint64_t *save_rsp, uint64_t new_rsp);
void thread_first_return(void);
void ipc_continue_entry(void);
_Noreturn void user_return(struct trapframe *f);
/* The same for a frame built by SYSCALL whose rip is a user address (every
 * writer of a frame's rip checks USER_IP_OK): straight to SYSRET. */
_Noreturn void user_return_syscall(struct trapframe *f);
void syscall_entry(void);
extern uint64_t isr_table[256];

/* mapdb.c: one mapping tree per physical frame. */
void mapdb_init(void);
int mapdb_map(struct space *from, uint64_t from_va, struct space *to, uint64_t to_va,
	      unsigned rights, unsigned key, bool grant);
bool mapdb_unmap(struct space *s, uint64_t va, unsigned rights, bool self, unsigned *work);
int mapdb_sigma0_fault(struct space *s, uint64_t va); /* L4_ENOMEM: retry later */
bool mapdb_space_destroy(struct space *s, unsigned *work);

/* space.c */
struct space *space_create(void);
void space_destroy(struct space *s);
int space_map_fpage(struct tcb *from, uint64_t item0, uint64_t fpage, struct tcb *to, uint64_t acceptor);
int space_unmap_fpage(struct space *s, uint64_t fpage, bool self, uint64_t *resume);
int space_map_kernel_page(struct space *s, uint64_t va, void *page, bool writable);
void space_unmap_kernel_page(struct space *s, uint64_t va);
bool space_copy_from_user(struct space *s, void *dst, uint64_t src, size_t n);

/* thread.c */
extern struct tcb tcbs[MAX_THREADS];
/* The thread with exactly this id (number and version), or NULL. */
static inline struct tcb *thread_lookup(uint64_t tid)
{
	uint64_t n = L4_TID_NUM(tid);
	if (n >= MAX_THREADS || tcbs[n].state == T_FREE || tcbs[n].tid != tid)
		return NULL;
	return &tcbs[n];
}
struct tcb *thread_create(uint64_t tid, struct space *space, uint64_t pager, uint64_t utcb, int *err);
void thread_delete(struct tcb *t);
bool thread_delete_space(struct tcb *self, struct space *s, unsigned *work);
bool thread_tid_usable(uint64_t tid);
void thread_kill(struct tcb *t, const char *why);
void thread_stop(struct tcb *t);
void thread_resume_at(struct tcb *t, void (*entry)(void));
struct tcb *thread_idle_create(void);

/* zone.c: each thread's PKRU is its own: saved when it stops running,
 * loaded (only if it differs) when it runs again, so what one thread
 * wrote with WRPKRU is never in force for another. */
static inline void pkru_switch(struct tcb *prev, struct tcb *next)
{
	if (!feat.pku)
		return;
	uint32_t v = rdpkru();
	prev->pkru = v;
	if (unlikely(v != next->pkru))
		wrpkru(next->pkru);
}
int zone_control(struct tcb *self, struct trapframe *f);

/* sched.c */
void sched_ready(struct tcb *t);
void sched_unready(struct tcb *t);
void schedule(void);
void sched_switch_to(struct tcb *next);
void sched_tick(void);
void segbase_load_msrs(struct cpu *c, struct tcb *next);
/* The highest priority among ready threads other than the running one, or
 * -1 if there is none. */
extern int sched_top;
/* Would the scheduler pick a ready thread over one at prio? */
static inline bool sched_outranked(unsigned prio)
{
	return (int)prio < sched_top;
}
/* The part of a thread switch to a user thread (not the idle thread) that
 * does not touch stacks: next's kernel stack for entries, its
 * page tables and I/O bitmap (only when the space changes; the bitmap
 * only when either has ports), the user FS/GS bases (prev's saved, next's
 * loaded: with FSGSBASE without any MSR), the FPU trap (CR0 written only
 * when FPU ownership changes). */
static inline void switch_user_state(struct cpu *c, struct tcb *prev, struct tcb *next)
{
	c->current = next;
	cpu_set_kstack((uint64_t)(next->frame + 1));
	if (c->space != next->space) {  /* the TSS I/O bitmap is always the loaded space's */
		tlb_switch(next->space);
		cpu_load_iobitmap(next->space);
	}
	if (feat.fsgsbase) {
		prev->fs_base = rdfsbase();
		wrfsbase(next->fs_base);
		prev->gs_base = exchange_user_gsbase(next->gs_base);
	} else {
		segbase_load_msrs(c, next);
	}
	fpu_switch(next);
	pkru_switch(prev, next);    /* what prev wrote to PKRU stays prev's */
}
bool sched_preempt_point(void);
#define PREEMPT_EVERY 64 /* units of work between preemption points */
void sched_yield_to(struct tcb *t);
void timeout_set(struct tcb *t, uint32_t us);
void timeout_cancel(struct tcb *t);
_Noreturn void sched_start(void);

/* syscall.c */
bool space_controls(const struct space *self, const struct space *s);

/* space.c: kernel memory used on a space's behalf counts against its limit
 * and every limit above it (the spaces that created it); false: over. */
bool kmem_charge(struct space *s, unsigned pages);
void kmem_uncharge(struct space *s, unsigned pages);

/* ipc.c */
/* A label only the kernel may send (abi.h, L4_LABEL_KERNEL_MIN). */
static inline bool label_is_kernel(uint64_t tag)
{
	_Static_assert(L4_LABEL_KERNEL_MIN == 0xff0, "kernel labels are 0xff0..0xfff");
	return L4_TAG_LABEL(tag) >> 4 == 0xff;
}
int ipc(struct tcb *self, uint64_t to, uint64_t from, uint64_t timeouts);
int ipc_kernel_call(struct tcb *self, uint64_t to);
void ipc_abort(struct tcb *t);
void ipc_cancel(struct tcb *t, int err);
#define IPC_RETRY_RECV (-1) /* internal: run the receive phase yourself */
void ipc_wake(struct tcb *t, int result);
void ipc_fastpath(struct trapframe *f);  /* returns only to decline */
int ipc_resume(struct tcb *self);
void ipc_continue(struct trapframe *f);

/* irq.c */
void irq_raise(int irq);
int irq_control(struct tcb *self, struct trapframe *f);
bool irq_try_receive(struct tcb *self, uint64_t from);
#define IRQ_LINES (L4_NIRQ + L4_NMSI)
static inline bool irq_is_tid(uint64_t tid)
{
	return L4_TID_NUM(tid) < IRQ_LINES && L4_TID_VER(tid) == 1;
}
/* The lines with an interrupt pending for t that a receive from `from`
 * accepts (their bits in t->irq_pending). */
static inline uint32_t irq_wanted(struct tcb *t, uint64_t from)
{
	if (from == L4_ANYTHREAD)
		return t->irq_pending;
	return irq_is_tid(from) ? t->irq_pending & (1u << L4_TID_NUM(from)) : 0;
}
static inline bool irq_pending_for(struct tcb *t, uint64_t from) { return irq_wanted(t, from) != 0; }
bool irq_ack(struct tcb *self, uint64_t to);
void irq_thread_gone(struct tcb *t);

/* syscall.c */
void syscall_init(void);
void syscall_dispatch(struct trapframe *f);
#define SYSCALL_RESTART (-2) /* internal: stopped at a preemption point */

/* fault.c */
void fault_page(struct trapframe *f, uint64_t addr);
void fault_exception(struct trapframe *f);
void fault_protection_key(struct trapframe *f, uint64_t addr);

/* loader.c */
void loader_start_boot_tasks(void);
/* Is pa in sigma0's own text (which its space has read-execute, not W)? */
bool loader_is_sigma0_text(uint64_t pa);

#endif
