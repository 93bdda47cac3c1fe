/* The test suite's internal interface: a privileged program of boot.cfg
 * (it controls the spaces it creates, and nothing else) that runs the
 * in-guest tests, the kernel microbenchmarks and the disk runs. */
#ifndef SUITE_H
#define SUITE_H

#include "../lib/prog.h"
#include "../lib/clients.h"

/* threads.c: thread ids, thread creation, the pager of child spaces. */
#define ANON_BASE 0x40000000ull /* child-space region backed by fresh pages */
#define ANON_END  0x50000000ull
#define LABEL_START 0x800       /* to rpager: MR1 tid, MR2 ip, MR3 sp, MR4 arg */
extern uint64_t rpager_tid;
struct pager_log {
	volatile uint64_t faults, last_addr, last_tid, last_ip;
	volatile uint64_t exceptions, exc_vector, exc_ip, exc_addr;
	volatile uint64_t resume_ip, resume_sp;  /* where an exception resumes; 0 = kill */
};
extern struct pager_log plog;
void threads_init(void);
uint64_t thread_new_local(void (*fn)(void), uint64_t arg);
uint64_t thread_new_space(void (*fn)(uint64_t), uint64_t arg);
uint64_t thread_new_in(uint64_t space_tid, void (*fn)(uint64_t), uint64_t arg);
uint64_t thread_new_exc(uint64_t space_tid, void (*fn)(uint64_t), uint64_t arg, uint64_t exc);
void thread_delete(uint64_t tid);
uint64_t thread_arg(void);
/* A thread id whose number nothing used before (for tests that create
 * threads themselves). */
uint64_t tid_fresh(void);
/* the threads started here (with a stack) and their spaces; how many */
int threads_list(uint64_t *tid, uint64_t *space, int max);
uint64_t stack_top(void);
_Noreturn void sleep_forever(void);
/* A fresh zeroed page from the root task (counted against this program's
 * limit): its address here, or 0. */
uint64_t page_alloc(void);

/* tests.c */
void tests_run(void);
void test_fail(const char *fmt, ...);
void test_skip(const char *why);
#define EXPECT(cond, ...) do { if (!(cond)) { test_fail(__VA_ARGS__); return; } } while (0)

/* t_*.c: the tests */
void t_pcid(void);
void t_syscall_bad(void);
void t_kinfo_leaf(void);
void t_ipc_local(void);
void t_ipc_long(void);
void t_ipc_timeouts(void);
void t_ipc_nopartner(void);
void t_ipc_partner_gone(void);
void t_ipc_spaces(void);
void t_pagefault(void);
void t_map_flush(void);
void t_grant(void);
void t_devmem(void);
void t_privilege(void);
void t_ioports(void);
void t_irq(void);
void t_msi(void);
void t_fpu(void);
void t_preempt(void);
void t_fuzz(void);
/* t_hostile.c */
void t_fastpath_priority(void);
void t_fastpath_mr_length(void);
void t_recv_dead_partner(void);
void t_irq_id_receive(void);
void t_exregs_queued_sender(void);
void t_timeout_long(void);
void t_kmem_recover(void);
void t_rflags_nt(void);
void t_thread_control_enomem(void);
void t_stale_thread_id(void);
void t_x87_exception(void);
void t_pagefault_unresolved(void);
void t_int3_breakpoint(void);
void t_exception_registers(void);
void t_mapdb_lookup_bound(void);
void t_unmap_preemptible(void);
void t_space_delete_preemptible(void);
void t_map_item_bound(void);
void t_virtio_rng(void);
void t_virtio_blk(void);
void t_console_out(void);
void t_console_in(void);
bool virtio_present(uint16_t virtio_id);   /* t_virtio.c: asks the PCI bus server */
void t_pci_bus(void);
void t_virtio_net(void);
void t_virtio_net_loopback(void);
void t_names(void);         /* t_isolation.c */
void t_isolation_memory(void);
void t_isolation_sigma0(void);
void t_isolation_device(void);
void t_isolation_irq(void);
void t_isolation_msi_vector(void);
void t_wx_user_pages(void);
void t_isolation_kmem(void);
void t_isolation_flood(void);
void t_restart_blk(void);
void t_restart_net(void);
void t_restart_console(void);
void t_restart_rng(void);
void t_cow_shared_text(void);   /* t_cow.c */
void t_cow_data_pages(void);
void t_cow_space_copy(void);
void t_cow_last_holder(void);
void t_zone_syscalls(void);     /* t_zone.c */
void t_zone_pkru_per_thread(void);
void t_zone_demo(void);
void t_zone_app_write(void);
void t_zone_gate_reentry(void);
void t_zone_code_check(void);
void t_persist_region(void);    /* t_persist.c */
void t_persist_dirty_only(void);
void t_persist_restart(void);
void t_persist_isolation(void);
void persist_run(void);         /* the disk runs: "persist" on the command line */
void persist_bench(void);       /* bench_persist.c */

/* t_isolation.c's view of the root task's programs (shared/mkvm/root.h,
 * MKVM_ROOT_RUN, _CRASH, _ENDS): 0, or -1 if the root task refused. */
int program_run(const char *name, const char *arg);
int program_crash(const char *name, uint64_t how);
/* How often the program has ended, and the last time how (MKVM_END_*
 * in *why, the fault address in *addr, the exit status in *status); -1
 * if there is no such program. */
int program_ends(const char *name, int *status, uint64_t *why, uint64_t *addr);
/* Starts the hostile program with the attempt arg and waits for its end
 * (as program_ends says it): 0, or -1 if it did not run or end. */
int hostile_run(const char *arg, int *status, uint64_t *why, uint64_t *addr);

/* What the root task's pager holds at va of the program (or space copy)
 * whose space is space (MKVM_ROOT_FRAME): 0, or -1 if there is none. */
struct frame_info { uint64_t pa, kind, refs, frames, copies, image_frames, rights; };
int program_frame(uint64_t space, uint64_t va, struct frame_info *f);

/* The PCI bus server (a program of boot.cfg), or 0. */
static inline uint64_t pci_bus(void) { return name_lookup("pci-bus", SERVER_TIMEOUT_US); }

/* bench.c */
void bench_run(void);

/* disk.c: the suite's own virtio-blk client; blk_open starts a
 * driver server and returns the 4 KiB buffer page of read/write requests */
uint8_t *blk_open(uint64_t *capacity);
int blk_read(uint64_t sector, uint64_t count);
int blk_write(uint64_t sector, uint64_t count);
int blk_flush(void);
void durable_run(void);         /* durable.c */
void bench_blk_run(void);       /* bench_blk.c */

#endif
