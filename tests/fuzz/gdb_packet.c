/* Fuzz target for the GDB stub's packet parser and command dispatch: the
 * input is fed to a stub (vmm/gdb/) over a fake two-vCPU guest as if gdb
 * had sent it, with a guest stop injected whenever a packet resumed it.
 * Beyond "does not crash" (run under ASan/UBSan) it checks that everything
 * the stub sends is a well-formed frame with a correct checksum, an ack or
 * a nack, and that guest memory outside the fake RAM is never touched.
 * The fake guest also describes a kernel (the OS view), which the
 * packets may corrupt through memory writes.
 *
 * Built two ways (tests/fuzz/fuzz.mk): with clang's libFuzzer, and as a
 * deterministic driver (FUZZ_DRIVER) that replays seed packets and random
 * mutations of them for a fixed number of iterations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mkvm/kdebug.h>
#include "gdb/stub.h"

#define RAM_SIZE (1u << 20)

static uint8_t ram[RAM_SIZE];
static struct gdb_regs regs[2];
static struct gdb_stub stub;

static bool get_regs(void *ctx, unsigned cpu, struct gdb_regs *r)
{
	(void)ctx;
	if (cpu >= 2)
		abort();		/* the stub validated thread ids */
	*r = regs[cpu];
	return true;
}

static bool set_regs(void *ctx, unsigned cpu, const struct gdb_regs *r)
{
	(void)ctx;
	if (cpu >= 2)
		abort();
	regs[cpu] = *r;
	return true;
}

static bool read_phys(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(buf, ram + gpa, len);
	return true;
}

static bool write_phys(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(ram + gpa, buf, len);
	return true;
}

static void resume(void *ctx, const struct gdb_debug_cfg *cfg)
{
	(void)ctx;
	if (cfg->step_cpu >= 2)
		abort();
}

static void interrupt(void *ctx) { (void)ctx; }
static void kill_vm(void *ctx) { (void)ctx; }

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	       c - 'a' + 10 : -1;
}

/* Every send is "+", "-", or exactly one frame with a valid checksum. */
static bool send_checked(void *ctx, const char *buf, size_t len)
{
	uint8_t sum = 0;

	(void)ctx;
	if (len == 1 && (buf[0] == '+' || buf[0] == '-'))
		return true;
	if (len < 4 || buf[0] != '$' || buf[len - 3] != '#')
		abort();
	for (size_t i = 1; i < len - 3; i++) {
		if (buf[i] == '$' || buf[i] == '#')
			abort();
		sum += (uint8_t)buf[i];
	}
	if (hexval(buf[len - 2]) < 0 || hexval(buf[len - 1]) < 0 ||
	    (hexval(buf[len - 2]) << 4 | hexval(buf[len - 1])) != sum)
		abort();
	return true;
}

/* A kernel description for the OS view, in the identity-mapped first
 * 2 MiB (kernel and user addresses alike): 8 threads of stride 128 at
 * 0x20000, 4 spaces of stride 32 at 0x30000 (all with vCPU 0's tables),
 * frames at 0x40000, the running thread's pointer at 0x38000. Packets
 * may rewrite any of it (M, X), as a hostile guest could. */
static void put(uint64_t pa, uint64_t v, unsigned size)
{
	memcpy(ram + pa, &v, size);
}

static void os_setup(void)
{
	struct mkvm_kdebug d = {
		.magic = MKVM_KDEBUG_MAGIC, .version = MKVM_KDEBUG_VERSION,
		.size = sizeof(struct mkvm_kdebug), .threads = 0x20000,
		.spaces = 0x30000, .nthreads = 8, .thread_stride = 128,
		.nspaces = 4, .space_stride = 32, .tcb_id = 0, .tcb_state = 8,
		.tcb_space = 16, .tcb_prio = 40, .tcb_name = 64, .space_cr3 = 8,
		.space_pcid = 16, .tcb_frame = 24, .tcb_fs_base = 32,
		.tcb_gs_base = 48, .reserved = MKVM_KDEBUG_NONE, .current = 0x38000,
	};

	memcpy(ram + 0x10000, &d, sizeof(d));
	for (unsigned i = 0; i < 4; i++)
		put(0x30000 + 32 * i + 8, 0x1000, 8);
	for (unsigned i = 2; i < 8; i++) {
		uint64_t t = 0x20000 + 128 * i;

		put(t, (uint64_t)i << 16 | 1, 8);
		put(t + 8, MKVM_KDEBUG_T_RECV_WAIT, 4);
		put(t + 16, 0x30000 + 32 * (i % 4), 8);
		put(t + 24, 0x40000 + 0x100 * i, 8);
		memcpy(ram + t + 64, i & 1 ? "prog" : "../x", 5);
	}
	put(0x38000, 0x20000 + 128 * 3, 8);
	gdb_stub__set_os(&stub, 0x10000, "/progs", 0xffffffff80103a20ull);
}

static void setup(void)
{
	static const struct gdb_target t = {
		.ncpus = 2, .get_regs = get_regs, .set_regs = set_regs,
		.read_phys = read_phys, .write_phys = write_phys,
		.resume = resume, .interrupt = interrupt, .kill = kill_vm,
		.send = send_checked,
	};
	uint64_t e;

	memset(ram, 0, sizeof(ram));
	memset(regs, 0, sizeof(regs));
	/* vCPU 0: long mode, page tables at 0x1000 mapping 0-2 MiB with a
	 * 2 MiB page; vCPU 1: paging off. */
	regs[0].cr0 = 1ull << 31 | 1;
	regs[0].cr3 = 0x1000;
	regs[0].cr4 = 1ull << 5;
	regs[0].efer = 1ull << 10;
	e = 0x2000 | 3;
	memcpy(ram + 0x1000, &e, 8);
	e = 0x3000 | 3;
	memcpy(ram + 0x2000, &e, 8);
	e = 0x83;
	memcpy(ram + 0x3000, &e, 8);
	gdb_stub__init(&stub, &t);
	os_setup();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	for (size_t i = 0; i < size; i++) {
		gdb_stub__input(&stub, data + i, 1);
		if (stub.state == GDB_RUNNING) {
			/* the next byte picks how the guest stops */
			uint8_t b = i + 1 < size ? data[++i] : 0;
			struct gdb_stop st = {
				.kind = b & 1 ? GDB_STOP_DEBUG : GDB_STOP_INTERRUPT,
				.cpu = (b >> 1) & 3,
				.exception = b & 2 ? 3 : 1,
				.dr6 = (uint64_t)(b >> 3) | (b & 4 ? 1u << 14 : 0),
			};
			gdb_stub__stopped(&stub, &st);
		}
	}
	return 0;
}

#ifdef FUZZ_DRIVER
/* Seeds: one of each packet kind, framed by the driver. */
static const char *const seeds[] = {
	"qSupported:multiprocess+;swbreak+;hwbreak+", "QStartNoAckMode",
	"?", "g", "G00", "p10", "P10=0000000000000000", "m0,10",
	"m200000,8", "M100,2:abcd", "X100,2:a}\x03", "Z0,100,1", "z0,100,1",
	"Z1,100,1", "Z2,108,8", "Z4,100,2", "z2,108,8", "c", "s", "C05",
	"S05;100", "vCont;s:1;c", "vCont;c", "vCont?", "Hg2", "Hc-1", "Hg0",
	"T1", "qfThreadInfo", "qsThreadInfo", "qC", "qAttached",
	"qThreadExtraInfo,2", "qXfer:features:read:target.xml:0,ffb",
	"qXfer:features:read:target.xml:1000,ffb",
	"qRcmd,68656c70", "qRcmd,7472616e736c6174652030783130",
	"qRcmd,70687973206f6e", "qRcmd,6372332030783130303030", "D", "k",
	"", "m", "Z", "vCont;", "M0,ffffffffffffffff:", "mffffffffffffffff,ffff",
	/* the OS view, and a guest rewriting its description meanwhile */
	"qSupported:multiprocess+", "Hgp3.3", "Hgp3.0", "Hgp5.-1", "Hgp1.2",
	"Hcp3.3", "Tp3.3", "Tp4.2", "qThreadExtraInfo,p3.3", "qThreadExtraInfo,p1.1",
	"qXfer:exec-file:read:3:0,100", "qXfer:exec-file:read:5:2,3",
	"qXfer:exec-file:read::0,10", "vCont;s:p3.3;c", "vKill;3",
	"M10008,8:ffffffffffffffff", "M20018,8:0000000000000080",
	"M38000,8:ffffffffffffffff", "M30008,8:0010000000000000",
	"M20040,10:2e2e2f2e2e2f2e2e2f2e2e2f2e2e2f00", "Z0,400,1", "z0,400,1",
	"Z0,7ff000,1", "z0,7ff000,1",
};

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* One input: a few framed seeds, then random corruptions. */
static size_t make_input(uint8_t *buf, size_t cap)
{
	size_t len = 0, n = 1 + next() % 6;

	for (size_t k = 0; k < n; k++) {
		const char *s = seeds[next() % (sizeof(seeds) / sizeof(*seeds))];
		char frame[256];
		size_t fl = gdb_frame(frame, sizeof(frame), s, strlen(s));

		if (len + fl + 1 > cap)
			break;
		memcpy(buf + len, frame, fl);
		len += fl;
		if (next() % 4 == 0)
			buf[len++] = "+-\x03"[next() % 3];
	}
	for (size_t k = next() % 4; k > 0 && len; k--) {
		switch (next() % 4) {
		case 0:			/* flip a byte */
			buf[next() % len] = (uint8_t)next();
			break;
		case 1:			/* truncate */
			len = next() % len;
			break;
		case 2:			/* duplicate a tail */
			if (len * 2 < cap) {
				size_t from = next() % len;

				memcpy(buf + len, buf + from, len - from);
				len += len - from;
			}
			break;
		default:		/* insert a random byte */
			if (len < cap)
				buf[len++] = (uint8_t)next();
			break;
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	static uint8_t big[3 * GDB_PACKET_MAX];
	static uint8_t buf[8192];
	long iterations = argc > 1 ? atol(argv[1]) : 20000;

	/* An oversized packet and unterminated garbage, once each. */
	big[0] = '$';
	memset(big + 1, 'm', sizeof(big) - 4);
	memcpy(big + sizeof(big) - 3, "#00", 3);
	LLVMFuzzerTestOneInput(big, sizeof(big));
	LLVMFuzzerTestOneInput(big, sizeof(big) - 3);
	for (long i = 0; i < iterations; i++)
		LLVMFuzzerTestOneInput(buf, make_input(buf, sizeof(buf)));
	printf("gdb_packet: %ld inputs, no failure\n", iterations + 2);
	return 0;
}
#endif
