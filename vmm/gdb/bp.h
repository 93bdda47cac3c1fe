/* Breakpoint and watchpoint bookkeeping: software breakpoints (an int3 the
 * stub writes over guest code, KVM_GUESTDBG_USE_SW_BP) and the four debug
 * registers (KVM_GUESTDBG_USE_HW_BP) shared by Z1 hardware breakpoints and
 * Z2/Z3/Z4 watchpoints. Pure: memory patching is the stub's job. */
#ifndef MKVM_GDB_BP_H
#define MKVM_GDB_BP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_SW_BP_MAX	64
#define GDB_HW_SLOTS	4

/* Z packet types, numbered as on the wire. */
enum gdb_bp_type {
	GDB_BP_SW = 0, GDB_BP_HW = 1,
	GDB_WP_WRITE = 2, GDB_WP_READ = 3, GDB_WP_ACCESS = 4,
};

/* A breakpoint belongs to one address space (owner: the physical address
 * of its top page table) or, owner 0, to all. */
struct gdb_sw_bp {
	bool used;
	uint64_t va, gpa;	/* where gdb asked, where the int3 went */
	uint64_t owner;
	uint8_t orig;		/* the byte the int3 replaced */
	/* the stub's own int3 on the kernel's "thread named" function, not
	 * gdb's: never found by gdb_bps__sw_find */
	bool hook;
};

struct gdb_hw_bp {
	bool used;
	uint8_t type;		/* enum gdb_bp_type, not GDB_BP_SW */
	uint8_t len;		/* 1, 2, 4 or 8 */
	uint64_t addr;
	/* a software breakpoint whose page is not mapped yet, held in a
	 * debug register until it can be written */
	bool pending_sw;
	uint64_t owner;
	/* the stub's own: the kernel's "thread named" function, not gdb's */
	bool hook;
};

struct gdb_bps {
	struct gdb_sw_bp sw[GDB_SW_BP_MAX];
	struct gdb_hw_bp hw[GDB_HW_SLOTS];
};

/* Software breakpoint table. find returns gdb's entry for va or NULL; alloc
 * returns a free entry or NULL when full. */
struct gdb_sw_bp *gdb_bps__sw_find(struct gdb_bps *b, uint64_t va,
				   uint64_t owner);
struct gdb_sw_bp *gdb_bps__sw_alloc(struct gdb_bps *b);
bool gdb_bps__sw_any(const struct gdb_bps *b);

/* Debug-register slots. insert fails (-1) for a bad length or alignment or
 * when all four slots are busy; inserting an identical one again succeeds.
 * remove returns -1 if no such slot is in use. */
int gdb_bps__hw_insert(struct gdb_bps *b, enum gdb_bp_type type,
		       uint64_t addr, uint64_t len);
int gdb_bps__hw_remove(struct gdb_bps *b, enum gdb_bp_type type,
		       uint64_t addr, uint64_t len);
/* A pending software breakpoint at addr for owner: a debug-register slot
 * (or -1 when all four are busy); find returns its slot or -1. */
int gdb_bps__pending_insert(struct gdb_bps *b, uint64_t addr, uint64_t owner);
int gdb_bps__pending_find(const struct gdb_bps *b, uint64_t addr,
			  uint64_t owner);

/* Arms the stub's own instruction breakpoint at addr in a free slot (kept
 * if armed already): its slot, or -1 when gdb's use all four. */
int gdb_bps__hook_arm(struct gdb_bps *b, uint64_t addr);
/* Frees the slot of that breakpoint, if one is armed. */
void gdb_bps__hook_disarm(struct gdb_bps *b);

/* Guest memory as it would be without the int3s: in buf, len bytes read
 * from guest physical address gpa, puts back the original byte of every
 * software breakpoint in that range. */
void gdb_bps__shadow(const struct gdb_bps *b, uint64_t gpa, uint8_t *buf,
		     size_t len);

/* The DR0-DR3 and DR7 values that arm every used slot (Intel SDM vol. 3B,
 * 17.2 "Debug Registers"). dr7 is 0 when no slot is used. */
void gdb_bps__debugregs(const struct gdb_bps *b, uint64_t dr[4],
			uint64_t *dr7);

/* Which used slot a debug exception with this DR6 reports, or -1. */
int gdb_bps__hw_hit(const struct gdb_bps *b, uint64_t dr6);

#endif
