/* Breakpoint tables and debug-register encoding (vmm/gdb/bp.c). */
#include <string.h>
#include "gdb/bp.h"
#include "unit.h"

TEST(gdb_bp_debugregs_encoding)
{
	struct gdb_bps b;
	uint64_t dr[4], dr7;

	memset(&b, 0, sizeof(b));
	gdb_bps__debugregs(&b, dr, &dr7);
	CHECK(dr7 == 0);
	REQUIRE(gdb_bps__hw_insert(&b, GDB_BP_HW, 0xffffffff80001234, 1) == 0);
	REQUIRE(gdb_bps__hw_insert(&b, GDB_WP_WRITE, 0x1000, 4) == 0);
	REQUIRE(gdb_bps__hw_insert(&b, GDB_WP_ACCESS, 0x2000, 8) == 0);
	REQUIRE(gdb_bps__hw_insert(&b, GDB_WP_READ, 0x3002, 2) == 0);
	gdb_bps__debugregs(&b, dr, &dr7);
	CHECK(dr[0] == 0xffffffff80001234 && dr[1] == 0x1000 &&
	      dr[2] == 0x2000 && dr[3] == 0x3002);
	/* G0..G3, GE, bit 10; slot 0 exec/1, slot 1 write/4 (01,11),
	 * slot 2 rw/8 (11,10), slot 3 rw/2 (11,01) */
	CHECK(dr7 == (0xaaull | 0x600 | 0x0ull << 16 | 0xdull << 20 |
		      0xbull << 24 | 0x7ull << 28));
}

TEST(gdb_bp_slots_and_validation)
{
	struct gdb_bps b;

	memset(&b, 0, sizeof(b));
	CHECK(gdb_bps__hw_insert(&b, GDB_WP_WRITE, 0x1001, 4) < 0); /* align */
	CHECK(gdb_bps__hw_insert(&b, GDB_WP_WRITE, 0x1000, 3) < 0);
	CHECK(gdb_bps__hw_insert(&b, GDB_WP_WRITE, 0x1000, 16) < 0);
	CHECK(gdb_bps__hw_insert(&b, GDB_BP_SW, 0x1000, 1) < 0);
	CHECK(gdb_bps__hw_insert(&b, 7, 0x1000, 1) < 0);
	for (int i = 0; i < 4; i++)
		CHECK(gdb_bps__hw_insert(&b, GDB_WP_WRITE, 0x1000u * i, 8) == 0);
	CHECK(gdb_bps__hw_insert(&b, GDB_WP_WRITE, 0x1000, 8) == 0); /* dup */
	CHECK(gdb_bps__hw_insert(&b, GDB_WP_WRITE, 0x9000, 8) < 0);  /* full */
	CHECK(gdb_bps__hw_remove(&b, GDB_WP_ACCESS, 0x1000, 8) < 0);
	CHECK(gdb_bps__hw_remove(&b, GDB_WP_WRITE, 0x1000, 8) == 0);
	CHECK(gdb_bps__hw_remove(&b, GDB_WP_WRITE, 0x1000, 8) < 0);
	CHECK(gdb_bps__hw_insert(&b, GDB_WP_WRITE, 0x9000, 8) == 0);
	CHECK(gdb_bps__hw_hit(&b, 1u << 1) == 1);
	CHECK(gdb_bps__hw_hit(&b, 1u << 14) == -1);	/* BS: a step */
	/* gdb's kind for an x86 hw breakpoint is 1; any other is taken as 1 */
	CHECK(gdb_bps__hw_remove(&b, GDB_WP_WRITE, 0x2000, 8) == 0);
	CHECK(gdb_bps__hw_insert(&b, GDB_BP_HW, 0x1235, 1) == 0);
	CHECK(gdb_bps__hw_remove(&b, GDB_BP_HW, 0x1235, 1) == 0);
}

TEST(gdb_bp_sw_table)
{
	struct gdb_bps b;
	struct gdb_sw_bp *e;
	int n = 0;

	memset(&b, 0, sizeof(b));
	CHECK(!gdb_bps__sw_any(&b));
	CHECK(!gdb_bps__sw_find(&b, 0x10, 0));
	while ((e = gdb_bps__sw_alloc(&b))) {
		e->used = true;
		e->va = 0x100u + (unsigned)n++;
	}
	CHECK(n == GDB_SW_BP_MAX);
	CHECK(gdb_bps__sw_any(&b));
	e = gdb_bps__sw_find(&b, 0x105, 0);
	REQUIRE(e && e->va == 0x105);
	/* a breakpoint belongs to its space: the same address elsewhere is
	 * another one */
	CHECK(!gdb_bps__sw_find(&b, 0x105, 0x7000));
	e->owner = 0x7000;
	CHECK(gdb_bps__sw_find(&b, 0x105, 0x7000) == e);
	CHECK(!gdb_bps__sw_find(&b, 0x105, 0));
	e->used = false;
	CHECK(gdb_bps__sw_alloc(&b) == e);
}

TEST(gdb_bp_pending)
{
	struct gdb_bps b;
	uint64_t dr[4], dr7;

	memset(&b, 0, sizeof(b));
	/* a pending software breakpoint takes an execution debug register,
	 * distinct per space, and is not a Z1 hardware breakpoint */
	CHECK(gdb_bps__pending_insert(&b, 0xffffffff80102cf0ull, 0) == 0);
	CHECK(gdb_bps__pending_insert(&b, 0xffffffff80102cf0ull, 0) == 0);
	CHECK(gdb_bps__pending_insert(&b, 0x401000, 0x5000) == 1);
	CHECK(gdb_bps__pending_find(&b, 0x401000, 0x5000) == 1);
	CHECK(gdb_bps__pending_find(&b, 0x401000, 0x6000) == -1);
	CHECK(gdb_bps__hw_remove(&b, GDB_BP_HW, 0x401000, 1) < 0);
	gdb_bps__debugregs(&b, dr, &dr7);
	CHECK(dr[0] == 0xffffffff80102cf0ull && dr[1] == 0x401000);
	CHECK((dr7 & 0xf) == 0xa && ((dr7 >> 16) & 0xff) == 0);	/* G0 G1, execute */
	CHECK(gdb_bps__hw_insert(&b, GDB_BP_HW, 0x2000, 1) == 0);
	CHECK(gdb_bps__pending_insert(&b, 0x3000, 0) == 3);
	CHECK(gdb_bps__pending_insert(&b, 0x4000, 0) == -1);	/* all four busy */
}
