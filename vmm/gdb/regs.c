/* Register table, g/G/p/P encodings and target.xml. Feature names and the
 * registers each standard feature must contain follow the GDB manual,
 * "Standard Target Features", "i386 Features". */
#include <stdio.h>
#include <string.h>
#include "gdb/packet.h"
#include "gdb/regs.h"

enum feature { F_CORE, F_SSE, F_SEGMENTS, F_SYSTEM, F_NFEATURES };

struct reg_desc {
	const char *name;
	uint16_t offset;	/* in struct gdb_regs */
	uint8_t size;		/* bytes */
	uint8_t feature;
	const char *type;
	const char *group;	/* or NULL */
};

#define R(n, field, t, f) { n, offsetof(struct gdb_regs, field), \
			    sizeof(((struct gdb_regs *)0)->field), f, t, NULL }
#define RG(n, field, t, f, g) { n, offsetof(struct gdb_regs, field), \
				sizeof(((struct gdb_regs *)0)->field), f, t, g }

/* Index in this table is the gdb register number. */
static const struct reg_desc regs[GDB_REG_COUNT] = {
	R("rax", gpr[0], "int64", F_CORE), R("rbx", gpr[1], "int64", F_CORE),
	R("rcx", gpr[2], "int64", F_CORE), R("rdx", gpr[3], "int64", F_CORE),
	R("rsi", gpr[4], "int64", F_CORE), R("rdi", gpr[5], "int64", F_CORE),
	R("rbp", gpr[6], "data_ptr", F_CORE),
	R("rsp", gpr[7], "data_ptr", F_CORE),
	R("r8", gpr[8], "int64", F_CORE), R("r9", gpr[9], "int64", F_CORE),
	R("r10", gpr[10], "int64", F_CORE), R("r11", gpr[11], "int64", F_CORE),
	R("r12", gpr[12], "int64", F_CORE), R("r13", gpr[13], "int64", F_CORE),
	R("r14", gpr[14], "int64", F_CORE), R("r15", gpr[15], "int64", F_CORE),
	R("rip", rip, "code_ptr", F_CORE),
	R("eflags", eflags, "mkvm_eflags", F_CORE),
	R("cs", seg[0], "int32", F_CORE), R("ss", seg[1], "int32", F_CORE),
	R("ds", seg[2], "int32", F_CORE), R("es", seg[3], "int32", F_CORE),
	R("fs", seg[4], "int32", F_CORE), R("gs", seg[5], "int32", F_CORE),
	R("st0", st[0], "i387_ext", F_CORE), R("st1", st[1], "i387_ext", F_CORE),
	R("st2", st[2], "i387_ext", F_CORE), R("st3", st[3], "i387_ext", F_CORE),
	R("st4", st[4], "i387_ext", F_CORE), R("st5", st[5], "i387_ext", F_CORE),
	R("st6", st[6], "i387_ext", F_CORE), R("st7", st[7], "i387_ext", F_CORE),
	RG("fctrl", fctrl, "int", F_CORE, "float"),
	RG("fstat", fstat, "int", F_CORE, "float"),
	RG("ftag", ftag, "int", F_CORE, "float"),
	RG("fiseg", fiseg, "int", F_CORE, "float"),
	RG("fioff", fioff, "int", F_CORE, "float"),
	RG("foseg", foseg, "int", F_CORE, "float"),
	RG("fooff", fooff, "int", F_CORE, "float"),
	RG("fop", fop, "int", F_CORE, "float"),
	R("xmm0", xmm[0], "mkvm_vec128", F_SSE),
	R("xmm1", xmm[1], "mkvm_vec128", F_SSE),
	R("xmm2", xmm[2], "mkvm_vec128", F_SSE),
	R("xmm3", xmm[3], "mkvm_vec128", F_SSE),
	R("xmm4", xmm[4], "mkvm_vec128", F_SSE),
	R("xmm5", xmm[5], "mkvm_vec128", F_SSE),
	R("xmm6", xmm[6], "mkvm_vec128", F_SSE),
	R("xmm7", xmm[7], "mkvm_vec128", F_SSE),
	R("xmm8", xmm[8], "mkvm_vec128", F_SSE),
	R("xmm9", xmm[9], "mkvm_vec128", F_SSE),
	R("xmm10", xmm[10], "mkvm_vec128", F_SSE),
	R("xmm11", xmm[11], "mkvm_vec128", F_SSE),
	R("xmm12", xmm[12], "mkvm_vec128", F_SSE),
	R("xmm13", xmm[13], "mkvm_vec128", F_SSE),
	R("xmm14", xmm[14], "mkvm_vec128", F_SSE),
	R("xmm15", xmm[15], "mkvm_vec128", F_SSE),
	RG("mxcsr", mxcsr, "int", F_SSE, "vector"),
	R("fs_base", fs_base, "int64", F_SEGMENTS),
	R("gs_base", gs_base, "int64", F_SEGMENTS),
	R("k_gs_base", k_gs_base, "int64", F_SYSTEM),
	R("cr0", cr0, "int64", F_SYSTEM), R("cr2", cr2, "int64", F_SYSTEM),
	R("cr3", cr3, "int64", F_SYSTEM), R("cr4", cr4, "int64", F_SYSTEM),
	R("cr8", cr8, "int64", F_SYSTEM), R("efer", efer, "int64", F_SYSTEM),
};

static const char *const feature_names[F_NFEATURES] = {
	"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
	"org.gnu.gdb.i386.segments", "org.mkvm.x86.system",
};

/* Types a feature defines before its registers use them. */
static const char *const feature_types[F_NFEATURES] = {
	[F_CORE] =
	"<flags id=\"mkvm_eflags\" size=\"4\">"
	"<field name=\"CF\" start=\"0\" end=\"0\"/>"
	"<field name=\"PF\" start=\"2\" end=\"2\"/>"
	"<field name=\"AF\" start=\"4\" end=\"4\"/>"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/>"
	"<field name=\"SF\" start=\"7\" end=\"7\"/>"
	"<field name=\"TF\" start=\"8\" end=\"8\"/>"
	"<field name=\"IF\" start=\"9\" end=\"9\"/>"
	"<field name=\"DF\" start=\"10\" end=\"10\"/>"
	"<field name=\"OF\" start=\"11\" end=\"11\"/>"
	"<field name=\"RF\" start=\"16\" end=\"16\"/>"
	"<field name=\"AC\" start=\"18\" end=\"18\"/>"
	"</flags>\n",
	[F_SSE] =
	"<vector id=\"mkvm_v2u64\" type=\"uint64\" count=\"2\"/>"
	"<vector id=\"mkvm_v4u32\" type=\"uint32\" count=\"4\"/>"
	"<vector id=\"mkvm_v16u8\" type=\"uint8\" count=\"16\"/>"
	"<vector id=\"mkvm_v2f64\" type=\"ieee_double\" count=\"2\"/>"
	"<union id=\"mkvm_vec128\">"
	"<field name=\"v2_int64\" type=\"mkvm_v2u64\"/>"
	"<field name=\"v4_int32\" type=\"mkvm_v4u32\"/>"
	"<field name=\"v16_int8\" type=\"mkvm_v16u8\"/>"
	"<field name=\"v2_double\" type=\"mkvm_v2f64\"/>"
	"<field name=\"uint128\" type=\"uint128\"/>"
	"</union>\n",
};

static size_t hex_size_of(unsigned count)
{
	size_t n = 0;

	for (unsigned i = 0; i < count; i++)
		n += 2u * regs[i].size;
	return n;
}

size_t gdb_regs__hex_size(void)
{
	return hex_size_of(GDB_REG_COUNT);
}

size_t gdb_regs__hex_size_amd64(void)
{
	return hex_size_of(GDB_REG_AMD64);
}

void gdb_regs__encode(const struct gdb_regs *r, char *out)
{
	for (unsigned i = 0; i < GDB_REG_COUNT; i++)
		out += gdb_regs__encode_one(r, i, out);
}

bool gdb_regs__decode(struct gdb_regs *r, const char *hex, size_t len)
{
	struct gdb_regs tmp = *r;
	unsigned count = len == hex_size_of(GDB_REG_AMD64) ? GDB_REG_AMD64 :
			 GDB_REG_COUNT;

	if (len != hex_size_of(count))
		return false;
	for (unsigned i = 0; i < count; i++) {
		size_t n = 2u * regs[i].size;

		if (!gdb_regs__decode_one(&tmp, i, hex, n))
			return false;
		hex += n;
	}
	*r = tmp;
	return true;
}

/* struct gdb_regs holds every field little endian, as x86 does, so a
 * register's bytes in memory are its bytes on the wire. */
size_t gdb_regs__encode_one(const struct gdb_regs *r, unsigned n, char *out)
{
	if (n >= GDB_REG_COUNT)
		return 0;
	gdb_hex_encode(out, (const uint8_t *)r + regs[n].offset, regs[n].size);
	return 2u * regs[n].size;
}

bool gdb_regs__decode_one(struct gdb_regs *r, unsigned n, const char *hex,
			  size_t len)
{
	uint8_t buf[16];

	if (n >= GDB_REG_COUNT || len != 2u * regs[n].size ||
	    !gdb_hex_decode(buf, hex, regs[n].size))
		return false;
	memcpy((uint8_t *)r + regs[n].offset, buf, regs[n].size);
	return true;
}

static char target_xml[12288];

static void xml__build(void)
{
	size_t o = 0, cap = sizeof(target_xml);

#define EMIT(...) (o += (size_t)snprintf(target_xml + o, cap - o, __VA_ARGS__))
	EMIT("<?xml version=\"1.0\"?>\n"
	     "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	     "<target version=\"1.0\">\n"
	     "<architecture>i386:x86-64</architecture>\n");
	for (unsigned f = 0; f < F_NFEATURES; f++) {
		EMIT("<feature name=\"%s\">\n", feature_names[f]);
		if (feature_types[f])
			EMIT("%s", feature_types[f]);
		for (unsigned i = 0; i < GDB_REG_COUNT; i++) {
			if (regs[i].feature != f)
				continue;
			EMIT("<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" "
			     "regnum=\"%u\"", regs[i].name, regs[i].size * 8u,
			     regs[i].type, i);
			if (regs[i].group)
				EMIT(" group=\"%s\"", regs[i].group);
			EMIT("/>\n");
		}
		EMIT("</feature>\n");
	}
	EMIT("</target>\n");
#undef EMIT
}

const char *gdb_regs__target_xml(void)
{
	if (!target_xml[0])
		xml__build();
	return target_xml;
}
