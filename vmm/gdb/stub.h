/* The GDB remote stub: protocol state and command dispatch, independent of
 * the transport (socket) and of KVM. The owner feeds it received bytes with
 * gdb_stub__input() and tells it when the guest stopped; the stub answers
 * through t->send and drives the guest through struct gdb_target.
 *
 * Every gdb_stub__* call must come from one thread (the gdb thread). The
 * stub runs all-stop: gdb thread N is vCPU N-1, and all vCPUs are stopped
 * whenever the stub is not in the running state. */
#ifndef MKVM_GDB_STUB_H
#define MKVM_GDB_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gdb/bp.h"
#include "gdb/packet.h"
#include "gdb/regs.h"
#include <mkvm/kdebug.h>

/* How the guest should run on resume; derived from the breakpoint tables. */
struct gdb_debug_cfg {
	int step_cpu;		/* vCPU to single-step, or -1; all vCPUs run */
	bool sw_bp;		/* route int3 to the stub (USE_SW_BP) */
	uint64_t dr[4], dr7;	/* USE_HW_BP when dr7 != 0 */
	bool catch_db;		/* every #DB to the stub (USE_HW_BP) */
};

/* The longest programs directory the OS view names. */
#define GDB_PROGRAMS_MAX 1024

/* The most kernel threads the OS view lists. */
#define GDB_KTHREADS_MAX 4096
/* Programs of the boot configuration that run another's ELF. */
#define GDB_ALIASES_MAX 64

/* What the guest side provides. Called only while all vCPUs are stopped,
 * except interrupt(). Register and memory calls return false on failure. */
struct gdb_target {
	void *ctx;
	unsigned ncpus;
	bool (*get_regs)(void *ctx, unsigned cpu, struct gdb_regs *r);
	bool (*set_regs)(void *ctx, unsigned cpu, const struct gdb_regs *r);
	bool (*read_phys)(void *ctx, uint64_t gpa, void *buf, size_t len);
	bool (*write_phys)(void *ctx, uint64_t gpa, const void *buf,
			   size_t len);
	/* Applies cfg to every vCPU and lets them run; returns at once. The
	 * owner later reports the stop with gdb_stub__stopped(). */
	void (*resume)(void *ctx, const struct gdb_debug_cfg *cfg);
	/* Asks the running vCPUs to stop (Ctrl-C); may be called any time. */
	void (*interrupt)(void *ctx);
	/* 'k': end the VM. */
	void (*kill)(void *ctx);
	/* Sends bytes to gdb; false if the connection is gone. */
	bool (*send)(void *ctx, const char *buf, size_t len);
};

enum gdb_stop_kind {
	GDB_STOP_DEBUG,		/* KVM_EXIT_DEBUG: see exception and dr6 */
	GDB_STOP_INTERRUPT,	/* stopped on request (Ctrl-C, --gdb-wait) */
};

struct gdb_stop {
	enum gdb_stop_kind kind;
	unsigned cpu;
	uint32_t exception;	/* 1 (#DB) or 3 (#BP) for GDB_STOP_DEBUG */
	uint64_t dr6;
};

enum gdb_state {
	GDB_STOPPED,		/* all vCPUs stopped, serving packets */
	GDB_RUNNING,		/* resumed; waiting for a stop */
	GDB_DETACHED,		/* 'D' or 'k' done: the owner closes */
};

struct gdb_stub {
	struct gdb_target t;
	struct gdb_rx rx;
	enum gdb_state state;
	bool noack;
	unsigned g_cpu, c_cpu;	/* Hg and Hc selections */
	bool c_all;		/* Hc-1 / Hc0: resume applies to all */
	bool phys;		/* monitor phys: m/M/X take physical addresses */
	bool cr3_override;	/* monitor cr3: walk this CR3, not the vCPU's */
	uint64_t cr3;
	bool kdesc_set;		/* the kernel's description is known */
	uint64_t kdesc;		/* its kernel virtual address */
	/* The OS view (gdb_stub__set_os): with multiprocess, process 1 is
	 * the vCPUs (thread N = vCPU N-1) and process 2+i the kernel's
	 * address space i, whose threads are numbered by kernel thread
	 * number. g_pid/g_tid is the Hg selection (tid 0: any thread);
	 * g_space_cr3 the page tables memory goes through for it (0: the
	 * vCPU's). */
	bool os;
	char programs[GDB_PROGRAMS_MAX];
	/* programs that run another program's ELF (boot.cfg's elf=) */
	struct { char name[MKVM_KDEBUG_NAME], elf[MKVM_KDEBUG_NAME]; } alias[GDB_ALIASES_MAX];
	unsigned naliases;
	/* the ELF files in programs, NUL-separated (files_set: known) */
	bool files_set;
	char files[8192];
	size_t files_len;
	/* the kernel's mkvm_kdebug_named (0: none), where an int3 of the
	 * stub's own over its nop (a debug register while the kernel's text
	 * is not mapped yet) catches each program as it is named, before it
	 * runs */
	uint64_t named_hook;
	bool multi;		/* gdb speaks the multiprocess extensions */
	uint64_t g_pid, g_tid;
	uint64_t g_space_cr3;
	uint32_t list_next;	/* qsThreadInfo continues here */
	uint32_t list_len;
	struct { uint32_t pid, tid; } list[GDB_KTHREADS_MAX + 64];
	/* a breakpoint of another space being stepped over */
	struct { bool active; unsigned cpu; uint64_t gpa; uint8_t orig; } over;
	/* What gdb's last resume let run: with only, just the threads of
	 * run[] (pid 0: of any process), else every thread. A stop of a
	 * thread gdb did not let run is not reported (stepped past; Ctrl-C
	 * is reported on run[0]); a program named meanwhile is reported at
	 * the next resume of every thread (named_late). */
	bool only, named_late;
	unsigned nrun;
	struct { uint64_t pid, tid; } run[8];
	/* gdb's single step of a kernel thread (tid; 0: none), by KVM's
	 * single step while that thread runs in user mode (kvm), else by the
	 * trap flag in its saved flags */
	struct { uint64_t tid; bool kvm; } step;
	/* the kernel thread (-1: none) whose flags may hold the trap flag of
	 * a step: every #DB comes to the stub until it has trapped */
	long tf_thread;
	uint64_t stop_pid, stop_tid;	/* the thread the last stop reports */
	uint64_t stop_os_pid, stop_os_tid;	/* the kernel thread it ran (pid 0: none) */
	char stop_os_name[MKVM_KDEBUG_NAME + 1];
	struct gdb_stop last;
	struct gdb_bps bps;
	size_t last_frame_len;
	char last_frame[GDB_PACKET_MAX + 8];	/* kept for '-' resends */
	char reply[GDB_PACKET_MAX + 1];
	size_t reply_len;
};

#define GDB_RFLAGS_TF	(1u << 8)	/* the trap flag: a single step */
#define GDB_RFLAGS_RF	(1u << 16)	/* resume: past an instruction breakpoint once */
#define GDB_DR6_BS	(1u << 14)	/* #DB of a single step */

#define GDB_PID_VCPUS	1	/* the process of the vCPUs */
#define GDB_PID_SPACE0	2	/* the process of the kernel's space 0 */

/* Starts a session with every vCPU stopped, as after an initial stop. */
void gdb_stub__init(struct gdb_stub *s, const struct gdb_target *t);
/* The kernel exports its description at kernel address kdesc: offer gdb
 * its spaces as processes (the "OS view"), each with the ELF of its
 * program in directory programs (qXfer:exec-file). named, if not 0, is the
 * kernel's mkvm_kdebug_named: while gdb runs the guest, each thread the
 * kernel names there is reported to gdb as a library event, so that gdb
 * adds the new program's process and loads its symbols (and the
 * breakpoints pending on them) before the program's first instruction. */
void gdb_stub__set_os(struct gdb_stub *s, uint64_t kdesc, const char *programs,
		      uint64_t named);
/* The boot configuration (text, len bytes, the format of the guest's
 * boot.cfg): a line "NAME ... elf=FILE" makes process NAME's ELF FILE.
 * Lines whose name or file is not a plain file name are ignored. */
void gdb_stub__set_aliases(struct gdb_stub *s, const char *text, size_t len);
/* The files in the programs directory (names, each ending in '\n'): a
 * program whose ELF is not among them is not shown (gdb could not give its
 * process an architecture). Without this every program is shown. */
void gdb_stub__set_files(struct gdb_stub *s, const char *names, size_t len);
/* Handles bytes from gdb; may call t->send and the target hooks. */
void gdb_stub__input(struct gdb_stub *s, const uint8_t *buf, size_t len);
/* The guest stopped (all vCPUs); sends the stop reply if gdb awaits one. */
void gdb_stub__stopped(struct gdb_stub *s, const struct gdb_stop *stop);
/* The guest ended with this mkvm exit status: tells gdb ("W"). */
void gdb_stub__exited(struct gdb_stub *s, int status);
/* Ends the session (the 'D' packet, or gdb gone, also while the guest
 * runs): removes every breakpoint and resumes all vCPUs without debugging.
 * From the running state the owner stops every vCPU first. */
void gdb_stub__detach(struct gdb_stub *s);

/* Guest memory access as the m/M/X packets see it (virtual through the
 * selected vCPU's or the overriding CR3, or physical): returns bytes done,
 * stopping at the first unmapped or unreadable page. */
size_t gdb_mem__read(struct gdb_stub *s, uint64_t addr, uint8_t *buf,
		     size_t len);
size_t gdb_mem__write(struct gdb_stub *s, uint64_t addr, const uint8_t *buf,
		      size_t len);
/* Virtual to physical for the current selection; false if unmapped. */
bool gdb_mem__translate(struct gdb_stub *s, uint64_t va, uint64_t *gpa,
			uint64_t *page_size);
/* The same through the page tables at cr3 (0: vCPU 0's own), in vCPU 0's
 * paging mode. */
bool gdb_mem__translate_in(struct gdb_stub *s, uint64_t cr3, uint64_t va,
			   uint64_t *gpa);

/* qRcmd: runs a monitor command, sending console output with "O" packets;
 * returns the final reply ("OK" or an error) in s->reply. */
void gdb_monitor__run(struct gdb_stub *s, const char *cmd);
/* Monitor commands over the kernel's description (shared/mkvm/kdebug.h)
 * at s->kdesc: list threads or spaces, or select space n's page tables as
 * "monitor cr3" would. Print to gdb's console; false (after printing why)
 * if the description or the tables cannot be read or make no sense. */
bool gdb_kdebug__threads(struct gdb_stub *s);
bool gdb_kdebug__spaces(struct gdb_stub *s);
bool gdb_kdebug__select_space(struct gdb_stub *s, uint64_t n);
/* The OS view's reading of the description, each checked like the
 * monitor commands' but silent: os_load validates it (false without one);
 * thread reads kernel thread num; current gives the number of the thread
 * running on the CPU, or -1 (none in the table); space_cr3 the page-table
 * base of a space; frame_regs and set_frame_regs read and write a
 * switched-out thread's saved user registers (rip and rsp must stay user
 * addresses). */
struct gdb_kthread {
	uint64_t id;		/* L4 id: number << 16 | version */
	unsigned state;		/* MKVM_KDEBUG_T_*, beyond them: unknown */
	long space;		/* space table index, or -1 */
	unsigned prio;
	char name[MKVM_KDEBUG_NAME + 1];	/* printable, terminated */
};
bool gdb_kdebug__os_load(struct gdb_stub *s, struct mkvm_kdebug *d);
bool gdb_kdebug__thread(struct gdb_stub *s, const struct mkvm_kdebug *d,
			uint32_t num, struct gdb_kthread *t);
const char *gdb_kdebug__state_name(unsigned state);
long gdb_kdebug__current(struct gdb_stub *s, const struct mkvm_kdebug *d);
/* The number of the thread whose TCB is at kernel address p, or -1. */
long gdb_kdebug__thread_at(const struct mkvm_kdebug *d, uint64_t p);
bool gdb_kdebug__space_cr3(struct gdb_stub *s, const struct mkvm_kdebug *d,
			   long space, uint64_t *cr3);
bool gdb_kdebug__frame_regs(struct gdb_stub *s, const struct mkvm_kdebug *d,
			    uint32_t num, struct gdb_regs *r);
bool gdb_kdebug__set_frame_regs(struct gdb_stub *s,
				const struct mkvm_kdebug *d, uint32_t num,
				const struct gdb_regs *r);
/* Sets or clears the trap flag in a switched-out thread's saved flags: it
 * traps after its next user instruction. */
bool gdb_kdebug__frame_tf(struct gdb_stub *s, const struct mkvm_kdebug *d,
			  uint32_t num, bool on);
/* Sends text to gdb's console as an "O" packet. */
void gdb_stub__console(struct gdb_stub *s, const char *text);

#endif
