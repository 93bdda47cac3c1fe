/* Breakpoint tables and the debug-register encoding. */
#include <string.h>
#include "gdb/bp.h"

struct gdb_sw_bp *gdb_bps__sw_find(struct gdb_bps *b, uint64_t va,
				   uint64_t owner)
{
	for (int i = 0; i < GDB_SW_BP_MAX; i++)
		if (b->sw[i].used && !b->sw[i].hook && b->sw[i].va == va &&
		    b->sw[i].owner == owner)
			return &b->sw[i];
	return NULL;
}

struct gdb_sw_bp *gdb_bps__sw_alloc(struct gdb_bps *b)
{
	for (int i = 0; i < GDB_SW_BP_MAX; i++)
		if (!b->sw[i].used)
			return &b->sw[i];
	return NULL;
}

bool gdb_bps__sw_any(const struct gdb_bps *b)
{
	for (int i = 0; i < GDB_SW_BP_MAX; i++)
		if (b->sw[i].used)
			return true;
	return false;
}

static int slot__find(const struct gdb_bps *b, enum gdb_bp_type type,
		      uint64_t addr, uint64_t len)
{
	for (int i = 0; i < GDB_HW_SLOTS; i++)
		if (b->hw[i].used && !b->hw[i].pending_sw && !b->hw[i].hook &&
		    b->hw[i].type == type && b->hw[i].addr == addr &&
		    b->hw[i].len == len)
			return i;
	return -1;
}

/* A slot for one of gdb's: a free one, else the stub's own hook's (gdb's
 * breakpoints come first), else -1. */
static int slot__free(const struct gdb_bps *b)
{
	int hook = -1;

	for (int i = 0; i < GDB_HW_SLOTS; i++) {
		if (!b->hw[i].used)
			return i;
		if (b->hw[i].hook)
			hook = i;
	}
	return hook;
}

int gdb_bps__pending_find(const struct gdb_bps *b, uint64_t addr,
			  uint64_t owner)
{
	for (int i = 0; i < GDB_HW_SLOTS; i++)
		if (b->hw[i].used && b->hw[i].pending_sw &&
		    b->hw[i].addr == addr && b->hw[i].owner == owner)
			return i;
	return -1;
}

int gdb_bps__pending_insert(struct gdb_bps *b, uint64_t addr, uint64_t owner)
{
	int i = gdb_bps__pending_find(b, addr, owner);

	if (i >= 0)
		return i;
	i = slot__free(b);
	if (i >= 0)
		b->hw[i] = (struct gdb_hw_bp){ .used = true,
			.type = GDB_BP_HW, .len = 1, .addr = addr,
			.pending_sw = true, .owner = owner };
	return i;
}

int gdb_bps__hook_arm(struct gdb_bps *b, uint64_t addr)
{
	int free = -1;

	for (int i = GDB_HW_SLOTS - 1; i >= 0; i--) {
		if (b->hw[i].used && b->hw[i].hook) {
			if (b->hw[i].addr == addr)
				return i;
			memset(&b->hw[i], 0, sizeof(b->hw[i]));
		}
		if (!b->hw[i].used)
			free = i;
	}
	if (free >= 0)
		b->hw[free] = (struct gdb_hw_bp){ .used = true,
			.type = GDB_BP_HW, .len = 1, .addr = addr, .hook = true };
	return free;
}

void gdb_bps__hook_disarm(struct gdb_bps *b)
{
	for (int i = 0; i < GDB_HW_SLOTS; i++)
		if (b->hw[i].used && b->hw[i].hook)
			memset(&b->hw[i], 0, sizeof(b->hw[i]));
}

void gdb_bps__shadow(const struct gdb_bps *b, uint64_t gpa, uint8_t *buf,
		     size_t len)
{
	for (int i = 0; i < GDB_SW_BP_MAX; i++)
		if (b->sw[i].used && b->sw[i].gpa >= gpa &&
		    b->sw[i].gpa - gpa < len)
			buf[b->sw[i].gpa - gpa] = b->sw[i].orig;
}

int gdb_bps__hw_insert(struct gdb_bps *b, enum gdb_bp_type type,
		       uint64_t addr, uint64_t len)
{
	if (type == GDB_BP_SW || type > GDB_WP_ACCESS)
		return -1;
	/* x86 instruction breakpoints have length 1; gdb sends kind 1. */
	if (type == GDB_BP_HW)
		len = 1;
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return -1;
	if (addr & (len - 1))
		return -1;	/* a DR range must be naturally aligned */
	if (slot__find(b, type, addr, len) >= 0)
		return 0;
	int i = slot__free(b);

	if (i < 0)
		return -1;
	b->hw[i] = (struct gdb_hw_bp){ .used = true, .type = (uint8_t)type,
				       .len = (uint8_t)len, .addr = addr };
	return 0;
}

int gdb_bps__hw_remove(struct gdb_bps *b, enum gdb_bp_type type,
		       uint64_t addr, uint64_t len)
{
	int i;

	if (type == GDB_BP_HW)
		len = 1;
	i = slot__find(b, type, addr, len);
	if (i < 0)
		return -1;
	memset(&b->hw[i], 0, sizeof(b->hw[i]));
	return 0;
}

#define DR7_GE		(1ull << 9)
#define DR7_FIXED1	(1ull << 10)	/* reserved, reads as 1 */

static uint64_t dr7__rw(uint8_t type)
{
	switch (type) {
	case GDB_BP_HW:
		return 0;	/* 00: instruction execution */
	case GDB_WP_WRITE:
		return 1;	/* 01: data writes */
	default:
		return 3;	/* 11: reads or writes; x86 has no read-only */
	}
}

static uint64_t dr7__len(uint8_t len)
{
	switch (len) {
	case 2:
		return 1;
	case 8:
		return 2;
	case 4:
		return 3;
	default:
		return 0;
	}
}

void gdb_bps__debugregs(const struct gdb_bps *b, uint64_t dr[4],
			uint64_t *dr7)
{
	uint64_t v = 0;

	for (int i = 0; i < GDB_HW_SLOTS; i++) {
		dr[i] = 0;
		if (!b->hw[i].used)
			continue;
		dr[i] = b->hw[i].addr;
		v |= 2ull << (2 * i);			/* Gn */
		v |= dr7__rw(b->hw[i].type) << (16 + 4 * i);
		v |= dr7__len(b->hw[i].len) << (18 + 4 * i);
	}
	*dr7 = v ? v | DR7_GE | DR7_FIXED1 : 0;
}

int gdb_bps__hw_hit(const struct gdb_bps *b, uint64_t dr6)
{
	for (int i = 0; i < GDB_HW_SLOTS; i++)
		if ((dr6 & (1ull << i)) && b->hw[i].used)
			return i;
	return -1;
}
