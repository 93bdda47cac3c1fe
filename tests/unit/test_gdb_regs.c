/* Register file layout and target description (vmm/gdb/regs.c). */
#include <string.h>
#include "gdb/regs.h"
#include "unit.h"

/* Bytes: 16 GPRs, rip, eflags, 6 selectors, 8 x87 (10 bytes), 8 x87
 * control words, 16 xmm, mxcsr, fs/gs/kernel-gs base, cr0/2/3/4/8, efer. */
#define REGS_BYTES (16 * 8 + 8 + 4 + 6 * 4 + 80 + 8 * 4 + 256 + 4 + 3 * 8 + 6 * 8)

TEST(gdb_regs_g_packet_layout)
{
	struct gdb_regs r;
	char hex[2 * REGS_BYTES + 1];

	REQUIRE(gdb_regs__hex_size() == 2 * REGS_BYTES);
	memset(&r, 0, sizeof(r));
	r.gpr[0] = 0x1122334455667788ull;
	r.rip = 0xffffffff80001000ull;
	r.eflags = 0x246;
	r.cr3 = 0xabc000;
	gdb_regs__encode(&r, hex);
	CHECK(!memcmp(hex, "8877665544332211", 16));		/* rax */
	CHECK(!memcmp(hex + 16 * 16, "00100080ffffffff", 16));	/* rip */
	CHECK(!memcmp(hex + 17 * 16, "46020000", 8));		/* eflags */
	/* cr3 is register 62: everything before it is 576 bytes */
	CHECK(!memcmp(hex + 2 * 576, "00c0ab0000000000", 16));
}

TEST(gdb_regs_roundtrip_and_errors)
{
	struct gdb_regs a, b;
	char hex[2 * REGS_BYTES + 1];
	char one[40];

	for (size_t i = 0; i < sizeof(a); i++)
		((unsigned char *)&a)[i] = (unsigned char)(i * 7);
	gdb_regs__encode(&a, hex);
	memset(&b, 0, sizeof(b));
	REQUIRE(gdb_regs__decode(&b, hex, sizeof(hex) - 1));
	CHECK(!memcmp(&a, &b, sizeof(a)));

	memset(&b, 0, sizeof(b));
	CHECK(!gdb_regs__decode(&b, hex, sizeof(hex) - 3));	/* short */
	hex[100] = 'z';
	CHECK(!gdb_regs__decode(&b, hex, sizeof(hex) - 1));
	CHECK(b.gpr[0] == 0);			/* untouched on error */

	CHECK(gdb_regs__encode_one(&a, 62, one) == 16);	/* cr3 */
	CHECK(gdb_regs__decode_one(&b, 62, "0010000000000000", 16));
	CHECK(b.cr3 == 0x1000);
	CHECK(gdb_regs__decode_one(&b, 17, "00020000", 8) && b.eflags == 0x200);
	CHECK(!gdb_regs__decode_one(&b, 17, "0002000000", 10));
	CHECK(!gdb_regs__decode_one(&b, GDB_REG_COUNT, "00", 2));
	CHECK(gdb_regs__encode_one(&a, GDB_REG_COUNT, one) == 0);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

TEST(gdb_regs_target_xml)
{
	const char *x = gdb_regs__target_xml();

	CHECK(strstr(x, "<architecture>i386:x86-64</architecture>"));
	CHECK(count(x, "<reg ") == GDB_REG_COUNT);
	CHECK(count(x, "<feature ") == count(x, "</feature>"));
	CHECK(strstr(x, "<feature name=\"org.gnu.gdb.i386.core\">"));
	CHECK(strstr(x, "<feature name=\"org.gnu.gdb.i386.sse\">"));
	CHECK(strstr(x, "<reg name=\"cr3\" bitsize=\"64\" type=\"int64\" "
			"regnum=\"62\"/>"));
	CHECK(strstr(x, "<reg name=\"fs_base\" bitsize=\"64\""));
	CHECK(strstr(x, "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\""));
	CHECK(!strchr(x, '*') && !strchr(x, '$') && !strchr(x, '#'));
	CHECK(!strcmp(x + strlen(x) - 10, "</target>\n"));
}
