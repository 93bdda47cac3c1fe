/* OS awareness (vmm/gdb/kdebug.c): "monitor kdesc/threads/spaces/space"
 * over a fake kernel image — a description, a thread table and a space
 * table in kernel virtual memory — and over corrupt descriptions. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <mkvm/kdebug.h>
#include "gdb/stub.h"
#include "unit.h"

#define RAM_SIZE (8u << 20)
#define KVA(pa) (0xffffffff80000000ull + (pa))	/* the 1 GiB kernel page */

/* Physical layout of the fake guest. */
#define KPML4	0x10000ull	/* vCPU's (kernel) page tables */
#define UPML4	0x20000ull	/* a user space's page tables */
#define KPDPT	0x11000ull	/* shared upper half: va -2 GiB -> pa 0 */
#define UPDPT	0x21000ull
#define UPD	0x22000ull	/* user va 0x400000 -> pa 0x200000 */
#define DESC	0x100000ull
#define THREADS	0x110000ull
#define SPACES	0x180000ull
#define TSTRIDE	128u
#define SSTRIDE	24u
#define NTHREADS 64u
#define NSPACES	8u
#define CURRENT	0x190000ull	/* the kernel's "current thread" pointer */
#define FRAMES	0x1a0000ull	/* saved user registers, 0x100 per thread */
#define OPML4	0x30000ull	/* another space sharing the user frame */
#define OPDPT	0x31000ull
#define OPD	0x32000ull

static uint8_t ram[RAM_SIZE];
static struct gdb_regs regs;
static unsigned resumes;
static struct gdb_debug_cfg last_cfg;
static char out[65536];
static size_t out_len;

static bool k_get_regs(void *c, unsigned cpu, struct gdb_regs *r)
{
	(void)c;
	if (cpu)
		return false;
	*r = regs;
	return true;
}

static bool k_set_regs(void *c, unsigned cpu, const struct gdb_regs *r)
{
	(void)c;
	if (cpu)
		return false;
	regs = *r;
	return true;
}

static bool k_write(void *c, uint64_t gpa, const void *buf, size_t len)
{
	(void)c;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(ram + gpa, buf, len);
	return true;
}

static void k_resume(void *c, const struct gdb_debug_cfg *cfg)
{
	(void)c;
	resumes++;
	last_cfg = *cfg;
}

static bool k_read(void *c, uint64_t gpa, void *buf, size_t len)
{
	(void)c;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(buf, ram + gpa, len);
	return true;
}

static bool k_send(void *c, const char *buf, size_t len)
{
	(void)c;
	if (out_len + len < sizeof(out)) {
		memcpy(out + out_len, buf, len);
		out_len += len;
		out[out_len] = '\0';
	}
	return true;
}

static struct gdb_stub stub;

static void put(uint64_t pa, uint64_t v, unsigned size)
{
	memcpy(ram + pa, &v, size);	/* little-endian host */
}

static void put_thread(unsigned i, uint64_t id, uint32_t state,
		       uint64_t space, uint8_t prio)
{
	uint64_t t = THREADS + (uint64_t)i * TSTRIDE;

	put(t + 0, id, 8);
	put(t + 8, state, 4);
	put(t + 16, space, 8);
	put(t + 40, prio, 1);
	put(t + 24, KVA(FRAMES + (uint64_t)i * 0x100), 8);	/* its frame */
	put(t + 32, 0x1000 + i, 8);				/* fs base */
	put(t + 48, 0x2000 + i, 8);				/* gs base */
}

static struct mkvm_kdebug good_desc(void)
{
	return (struct mkvm_kdebug){
		.magic = MKVM_KDEBUG_MAGIC, .version = MKVM_KDEBUG_VERSION,
		.size = sizeof(struct mkvm_kdebug),
		.threads = KVA(THREADS), .spaces = KVA(SPACES),
		.nthreads = NTHREADS, .thread_stride = TSTRIDE,
		.nspaces = NSPACES, .space_stride = SSTRIDE,
		.tcb_id = 0, .tcb_state = 8, .tcb_space = 16, .tcb_prio = 40,
		.tcb_name = MKVM_KDEBUG_NONE, .space_cr3 = 8, .space_pcid = 16,
		.tcb_frame = 24, .tcb_fs_base = 32, .tcb_gs_base = 48,
		.reserved = MKVM_KDEBUG_NONE, .current = KVA(CURRENT),
	};
}

static void set_desc(const struct mkvm_kdebug *d)
{
	memcpy(ram + DESC, d, sizeof(*d));
}

static void setup(void)
{
	static const struct gdb_target t = {
		.ncpus = 1, .get_regs = k_get_regs, .set_regs = k_set_regs,
		.read_phys = k_read, .write_phys = k_write, .resume = k_resume,
		.send = k_send,
	};
	struct mkvm_kdebug d = good_desc();

	memset(ram, 0, sizeof(ram));
	memset(&regs, 0, sizeof(regs));
	regs.cr0 = (1ull << 31) | 1;
	regs.cr3 = KPML4;
	regs.cr4 = 1ull << 5;
	regs.efer = 1ull << 10;
	/* both spaces map the kernel: PML4[511] -> PDPT, PDPT[510] 1 GiB */
	put(KPML4 + 511 * 8, KPDPT | 3, 8);
	put(UPML4 + 511 * 8, KPDPT | 3, 8);
	put(KPDPT + 510 * 8, 0 | 0x83, 8);
	/* only the user space maps 0x400000 */
	put(UPML4, UPDPT | 7, 8);
	put(UPDPT, UPD | 7, 8);
	put(UPD + 2 * 8, 0x200000 | 0x87, 8);
	memcpy(ram + 0x200000, "\xde\xad\xbe\xef", 4);

	set_desc(&d);
	/* space 0: the kernel's own, no threads; space 3: a server */
	put(SPACES + 0 * SSTRIDE + 8, KPML4, 8);
	put(SPACES + 3 * SSTRIDE + 8, UPML4, 8);
	put(SPACES + 3 * SSTRIDE + 16, 5, 2);
	put_thread(32, (32ull << 16) | 1, MKVM_KDEBUG_T_RECV_WAIT,
		   KVA(SPACES + 3 * SSTRIDE), 100);
	put_thread(33, (33ull << 16) | 7, MKVM_KDEBUG_T_READY,
		   KVA(SPACES + 3 * SSTRIDE), 200);
	/* another space maps the same frame at the same address (shared
	 * text), and the kernel */
	put(OPML4 + 511 * 8, KPDPT | 3, 8);
	put(OPML4, OPDPT | 7, 8);
	put(OPDPT, OPD | 7, 8);
	put(OPD + 2 * 8, 0x200000 | 0x87, 8);
	put(SPACES + 4 * SSTRIDE + 8, OPML4, 8);
	put_thread(34, (34ull << 16) | 1, MKVM_KDEBUG_T_READY,
		   KVA(SPACES + 4 * SSTRIDE), 100);
	/* thread 33's saved registers: rip, rsp, rax, rflags */
	put(FRAMES + 33 * 0x100 + offsetof(struct mkvm_kdebug_frame, rip), 0x400123, 8);
	put(FRAMES + 33 * 0x100 + offsetof(struct mkvm_kdebug_frame, rsp), 0x7fff0000, 8);
	put(FRAMES + 33 * 0x100 + offsetof(struct mkvm_kdebug_frame, rax), 0xaaaa, 8);
	put(FRAMES + 33 * 0x100 + offsetof(struct mkvm_kdebug_frame, rflags), 0x202, 8);
	put(CURRENT, KVA(THREADS + 32 * TSTRIDE), 8);	/* thread 32 runs */
	resumes = 0;
	gdb_stub__init(&stub, &t);
	stub.noack = true;
}

/* Runs a monitor command; returns its reply ("OK"/"E16"), and leaves the
 * console text it printed in `text`. */
static char text[32768];

static const char *mon(const char *cmd)
{
	size_t tl = 0;

	out_len = 0;
	out[0] = '\0';
	gdb_monitor__run(&stub, cmd);
	/* decode every "$O<hex>#" frame */
	for (char *p = out; (p = strstr(p, "$O")); ) {
		p += 2;
		while (p[0] && p[0] != '#' && p[1] && tl + 1 < sizeof(text)) {
			unsigned b;

			sscanf(p, "%2x", &b);
			text[tl++] = (char)b;
			p += 2;
		}
	}
	text[tl] = '\0';
	return stub.reply;
}

static char kdesc_cmd[64];

static const char *kdesc(void)
{
	snprintf(kdesc_cmd, sizeof(kdesc_cmd), "kdesc %#llx",
		 (unsigned long long)KVA(DESC));
	return kdesc_cmd;
}

TEST(gdb_kdebug_needs_kdesc)
{
	setup();
	CHECK(!strcmp(mon("threads"), "E16"));
	CHECK(strstr(text, "monitor kdesc ADDR"));
	CHECK(!strcmp(mon("spaces"), "E16"));
	CHECK(!strcmp(mon("space 3"), "E16"));
	CHECK(!stub.cr3_override);
}

TEST(gdb_kdebug_lists_threads_and_spaces)
{
	setup();
	CHECK(!strcmp(mon(kdesc()), "OK"));
	CHECK(!strcmp(mon("threads"), "OK"));
	CHECK(strstr(text, "  32.1    recv-wait      3   100\n"));
	CHECK(strstr(text, "  33.7    ready          3   200\n"));
	CHECK(strstr(text, "3 threads\n"));
	CHECK(!strcmp(mon("spaces"), "OK"));
	CHECK(strstr(text, "    3  0x20000                5        2\n"));
	CHECK(!strstr(text, "0x10000"));	/* space 0 has no threads */
	CHECK(strstr(text, "2 spaces\n"));
	/* works the same with "monitor phys on" (kernel reads are virtual) */
	CHECK(!strcmp(mon("phys on"), "OK"));
	CHECK(!strcmp(mon("threads"), "OK"));
	CHECK(strstr(text, "3 threads\n"));
}

TEST(gdb_kdebug_space_selects_page_tables)
{
	uint8_t b[4];

	setup();
	mon(kdesc());
	CHECK(gdb_mem__read(&stub, 0x400000, b, 4) == 0);  /* not in vCPU's */
	CHECK(!strcmp(mon("space 3"), "OK"));
	CHECK(stub.cr3_override && stub.cr3 == UPML4);
	REQUIRE(gdb_mem__read(&stub, 0x400000, b, 4) == 4);
	CHECK(!memcmp(b, "\xde\xad\xbe\xef", 4));
	/* the kernel is still readable from there, so the listing too */
	CHECK(!strcmp(mon("threads"), "OK"));
	CHECK(!strcmp(mon("cr3 off"), "OK"));
	CHECK(!stub.cr3_override);
	/* no page tables, beyond the table, not a number */
	CHECK(!strcmp(mon("space 1"), "E16"));
	CHECK(strstr(text, "no page tables"));
	CHECK(!strcmp(mon("space 8"), "E16"));
	CHECK(strstr(text, "no space 8"));
	CHECK(!strcmp(mon("space x"), "E16"));
	CHECK(!strcmp(mon("space 99999999999999999999999"), "E16"));
	CHECK(!stub.cr3_override);
}

/* Each corruption gives an error reply and a reason, never a crash. */
static void expect_refused(const struct mkvm_kdebug *d, const char *why,
			   bool space_too)
{
	setup();
	set_desc(d);
	mon(kdesc());
	CHECK(!strcmp(mon("threads"), "E16"));
	if (!strstr(text, why))
		fprintf(stderr, "  wanted \"%s\", got \"%s\"\n", why, text);
	CHECK(strstr(text, why) != NULL);
	CHECK(!strcmp(mon("spaces"), "E16"));
	/* selecting a space reads only the space table */
	if (space_too) {
		CHECK(!strcmp(mon("space 3"), "E16"));
		CHECK(!stub.cr3_override);
	}
}

TEST(gdb_kdebug_refuses_corrupt_descriptions)
{
	struct mkvm_kdebug d;

	d = good_desc(); d.magic ^= 1;
	expect_refused(&d, "bad magic", true);
	d = good_desc(); d.version = 1;
	expect_refused(&d, "this stub reads version 2", true);
	d = good_desc(); d.size = 8;
	expect_refused(&d, "this stub reads version 2", true);
	d = good_desc(); d.nthreads = 0x7fffffff;
	expect_refused(&d, "more than this stub shows", true);
	d = good_desc(); d.nspaces = 0;
	expect_refused(&d, "outside its bounds", true);
	d = good_desc(); d.thread_stride = 12;	/* space field beyond it */
	expect_refused(&d, "outside its bounds", true);
	d = good_desc(); d.space_cr3 = SSTRIDE - 4;
	expect_refused(&d, "outside its bounds", true);
	d = good_desc(); d.tcb_id = MKVM_KDEBUG_NONE;
	expect_refused(&d, "outside its bounds", true);
	d = good_desc(); d.threads = 0xfffffffffffffff0ull;	/* wraps */
	expect_refused(&d, "outside its bounds", true);
	/* a table in unmapped memory (beyond the fake RAM, then in a hole) */
	d = good_desc(); d.threads = KVA(RAM_SIZE - TSTRIDE);
	expect_refused(&d, "thread table entry 1: not mapped", false);
	d = good_desc(); d.threads = 0x1000;
	expect_refused(&d, "thread table entry 0: not mapped", false);
	/* the description itself unmapped */
	setup();
	CHECK(!strcmp(mon("kdesc 0x5000"), "OK"));
	CHECK(!strcmp(mon("threads"), "E16"));
	CHECK(strstr(text, "not mapped"));
}

TEST(gdb_kdebug_tolerates_odd_entries)
{
	struct mkvm_kdebug d = good_desc();

	setup();
	/* a space pointer outside the table and an unknown state */
	put_thread(5, (5ull << 16) | 2, 77, 0xdead, 1);
	/* a space pointer into the middle of an entry */
	put_thread(6, (6ull << 16) | 2, MKVM_KDEBUG_T_READY,
		   KVA(SPACES + 3 * SSTRIDE + 4), 1);
	d.space_pcid = MKVM_KDEBUG_NONE;	/* optional fields absent */
	d.tcb_prio = MKVM_KDEBUG_NONE;
	set_desc(&d);
	mon(kdesc());
	CHECK(!strcmp(mon("threads"), "OK"));
	CHECK(strstr(text, "   5.2    ?             -1     0\n"));
	CHECK(strstr(text, "   6.2    ready         -1     0\n"));
	CHECK(strstr(text, "5 threads\n"));
	CHECK(!strcmp(mon("spaces"), "OK"));
	CHECK(strstr(text, "    3  0x20000                -        2\n"));
}

/* Thread names (optional, 16 bytes): shown up to the first NUL, anything
 * unprintable as '?', never more than 16 bytes; a space takes the name of
 * a named thread of it; a name field outside the entry is ignored. */
TEST(gdb_kdebug_names_threads)
{
	struct mkvm_kdebug d = good_desc();

	setup();
	d.tcb_name = 24;
	set_desc(&d);
	memcpy(ram + THREADS + 32 * TSTRIDE + 24, "virtio-blk\0junk", 16);
	memcpy(ram + THREADS + 33 * TSTRIDE + 24, "\x01\xff" "ABCDEFGHIJKLMNOP", 16);
	mon(kdesc());
	CHECK(!strcmp(mon("threads"), "OK"));
	CHECK(strstr(text, "  32.1    recv-wait      3   100  virtio-blk\n"));
	CHECK(strstr(text, "  33.7    ready          3   200  ??ABCDEFGHIJKLMN\n"));
	CHECK(!strcmp(mon("spaces"), "OK"));
	CHECK(strstr(text, "    3  0x20000                5        2  virtio-blk\n"));
	d.tcb_name = TSTRIDE - 8;	/* would reach past the entry */
	set_desc(&d);
	mon(kdesc());
	CHECK(!strcmp(mon("threads"), "OK"));
	CHECK(strstr(text, "  32.1    recv-wait      3   100\n"));
}

/* ---- the OS view: spaces as processes, kernel threads as threads ---- */

static char reply[8192];

/* Sends one packet; returns the payload of the last reply frame. */
static const char *ask(const char *payload)
{
	char pkt[4096];
	unsigned sum = 0;
	const char *start, *end;

	for (const char *p = payload; *p; p++)
		sum += (uint8_t)*p;
	snprintf(pkt, sizeof(pkt), "$%s#%02x", payload, sum & 0xff);
	out_len = 0;
	out[0] = '\0';
	gdb_stub__input(&stub, (const uint8_t *)pkt, strlen(pkt));
	reply[0] = '\0';
	start = strrchr(out, '$');
	end = start ? strrchr(start, '#') : NULL;
	if (start && end && (size_t)(end - start) < sizeof(reply)) {
		memcpy(reply, start + 1, (size_t)(end - start - 1));
		reply[end - start - 1] = '\0';
	}
	return reply;
}

static const char *unhex(const char *hex)
{
	static char buf[256];
	size_t n = 0;

	for (; hex[0] && hex[1] && n + 1 < sizeof(buf); hex += 2) {
		unsigned b;

		sscanf(hex, "%2x", &b);
		buf[n++] = (char)b;
	}
	buf[n] = '\0';
	return buf;
}

/* The OS view over the fake kernel, its threads named by program: space
 * 3 runs "server" (threads 32, 33), space 4 "other" (34). */
static void os_setup(void)
{
	struct mkvm_kdebug d = good_desc();

	setup();
	d.tcb_name = 64;
	set_desc(&d);
	memcpy(ram + THREADS + 32 * TSTRIDE + 64, "server", 7);
	memcpy(ram + THREADS + 34 * TSTRIDE + 64, "other", 6);
	gdb_stub__set_os(&stub, KVA(DESC), "/progs", 0);
	ask("qSupported:multiprocess+;swbreak+");
}

TEST(gdb_os_needs_description_and_multiprocess)
{
	setup();
	/* without the kernel's description: as before, no processes */
	CHECK(!strstr(ask("qSupported:multiprocess+;swbreak+"), "multiprocess+"));
	CHECK(!strcmp(ask("qfThreadInfo"), "m1"));
	setup();
	gdb_stub__set_os(&stub, KVA(DESC), "/progs", 0);
	/* a gdb without multiprocess gets the vCPUs only */
	CHECK(!strstr(ask("qSupported:swbreak+"), "multiprocess+"));
	CHECK(!strcmp(ask("qfThreadInfo"), "m1"));
	os_setup();
	CHECK(stub.multi);
}

TEST(gdb_os_lists_spaces_and_threads)
{
	os_setup();
	/* vCPU 0, then space 3 (process 5: threads 32, 33), space 4 (34) */
	CHECK(!strcmp(ask("qfThreadInfo"), "mp1.1,p5.20,p5.21,p6.22"));
	CHECK(!strcmp(ask("qsThreadInfo"), "l"));
	CHECK(!strcmp(unhex(ask("qThreadExtraInfo,p5.20")), "server: recv-wait, thread 32.1, running"));
	CHECK(!strcmp(unhex(ask("qThreadExtraInfo,p5.21")), "ready, thread 33.7"));
	CHECK(!strcmp(unhex(ask("qThreadExtraInfo,p1.1")), "vCPU 0, running server thread 32.1"));
	/* each process's ELF, for gdb to load */
	CHECK(strstr(ask("qSupported:multiprocess+"), "qXfer:exec-file:read+"));
	CHECK(!strcmp(ask("qXfer:exec-file:read:5:0,100"), "l/progs/server"));
	CHECK(!strcmp(ask("qXfer:exec-file:read:6:0,100"), "l/progs/other"));
	CHECK(!strcmp(ask("qXfer:exec-file:read:6:3,3"), "mogs"));
	CHECK(!strcmp(ask("qXfer:exec-file:read:6:100,3"), "l"));
	CHECK(!strcmp(ask("qXfer:exec-file:read:1:0,100"), "E00"));	/* the vCPUs */
	CHECK(!strcmp(ask("qXfer:exec-file:read:7:0,100"), "E00"));	/* nobody there */
	/* a name that would leave the directory is no program: the space is
	 * not listed, and has no ELF */
	memcpy(ram + THREADS + 34 * TSTRIDE + 64, "../../etc/x", 12);
	CHECK(!strcmp(ask("qXfer:exec-file:read:6:0,100"), "E00"));
	CHECK(!strcmp(ask("qfThreadInfo"), "mp1.1,p5.20,p5.21"));
	memcpy(ram + THREADS + 34 * TSTRIDE + 64, "other", 6);
	CHECK(!strcmp(ask("qThreadExtraInfo,p6.20"), "E16"));	/* not its space */
	CHECK(!strcmp(ask("Tp5.21"), "OK"));
	CHECK(!strcmp(ask("Tp5.22"), "E01"));
	CHECK(!strcmp(ask("Tp9.21"), "E01"));		/* no such space */
	CHECK(!strcmp(ask("Tp1.2"), "E01"));		/* one vCPU */
	/* a stop is reported on the vCPU, and names the thread it runs on
	 * gdb's console */
	struct gdb_stop st = { GDB_STOP_INTERRUPT, 0, 0, 0 };
	char hex[256];
	const char *msg = "vCPU 0 was running server thread 32 (process 5)\n";
	gdb_hex_encode(hex, (const uint8_t *)msg, strlen(msg));
	hex[2 * strlen(msg)] = '\0';
	ask("c");
	gdb_stub__stopped(&stub, &st);
	CHECK(strstr(out, "$T02thread:p1.1;#"));
	CHECK(strstr(out, hex));
	CHECK(!strcmp(ask("qC"), "QCp1.1"));
	/* in user mode the stop belongs to the program: its thread */
	regs.seg[0] = 0x23;
	ask("c");
	gdb_stub__stopped(&stub, &st);
	CHECK(strstr(out, "$T02thread:p5.20;#") && !strstr(out, "$O"));
	CHECK(!strcmp(ask("qC"), "QCp5.20"));
	regs.seg[0] = 0;
	/* the idle thread (not in the table): nothing to name */
	put(CURRENT, KVA(0x1f0000), 8);
	ask("c");
	gdb_stub__stopped(&stub, &st);
	CHECK(strstr(out, "$T02thread:p1.1;#") && !strstr(out, "$O"));
}

TEST(gdb_os_thread_registers_and_memory)
{
	struct gdb_regs r;
	uint8_t b[4];

	os_setup();
	regs.rip = 0xffffffff80101234ull;
	/* a switched-out thread: its saved user registers, its space's CR3 */
	CHECK(!strcmp(ask("Hgp5.21"), "OK"));
	ask("g");
	/* in the layout of gdb's own amd64 architecture (core and SSE) */
	CHECK(strlen(reply) == gdb_regs__hex_size_amd64());
	memset(&r, 0, sizeof(r));
	REQUIRE(gdb_regs__decode(&r, reply, strlen(reply)));
	CHECK(r.rip == 0x400123 && r.gpr[GDB_REG_RSP] == 0x7fff0000 && r.gpr[0] == 0xaaaa);
	/* the rest one by one: the bases, its space's CR3, the vCPU's CR0 */
	CHECK(!strcmp(ask("p39"), "2110000000000000"));	/* fs_base 0x1021 */
	CHECK(!strcmp(ask("p3a"), "2120000000000000"));	/* gs_base 0x2021 */
	CHECK(!strcmp(ask("p3e"), "0000020000000000"));	/* cr3 0x20000 */
	CHECK(!strcmp(ask("p3c"), "0100008000000000"));	/* cr0 PG|PE */
	/* its memory through its space */
	REQUIRE(gdb_mem__read(&stub, 0x400000, b, 4) == 4);
	CHECK(!memcmp(b, "\xde\xad\xbe\xef", 4));
	CHECK(!strcmp(ask("m400000,4"), "deadbeef"));
	/* writing its registers writes its frame; rip must stay a user address */
	r.gpr[0] = 0x5555;
	char hex[2048] = { 0 };
	REQUIRE(gdb_regs__hex_size() < sizeof(hex));
	gdb_regs__encode(&r, hex);
	hex[gdb_regs__hex_size_amd64()] = '\0';	/* what gdb sends back */
	char pkt[2100];
	snprintf(pkt, sizeof(pkt), "G%s", hex);
	CHECK(!strcmp(ask(pkt), "OK"));
	CHECK(*(uint64_t *)(ram + FRAMES + 33 * 0x100 + offsetof(struct mkvm_kdebug_frame, rax)) == 0x5555);
	r.rip = 0xffffffff80100000ull;
	gdb_regs__encode(&r, hex);
	hex[gdb_regs__hex_size_amd64()] = '\0';
	snprintf(pkt, sizeof(pkt), "G%s", hex);
	CHECK(!strcmp(ask(pkt), "E0e"));
	/* the running thread: in the kernel (vCPU 0 at CPL 0), the user
	 * registers it saved; in user mode, the vCPU's own */
	put(FRAMES + 32 * 0x100 + offsetof(struct mkvm_kdebug_frame, rip), 0x400777, 8);
	CHECK(!strcmp(ask("Hgp5.20"), "OK"));
	ask("g");
	REQUIRE(gdb_regs__decode(&r, reply, strlen(reply)));
	CHECK(r.rip == 0x400777);
	regs.seg[0] = 0x23;
	regs.rip = 0x400999;
	ask("g");
	REQUIRE(gdb_regs__decode(&r, reply, strlen(reply)));
	CHECK(strlen(reply) == gdb_regs__hex_size_amd64());
	CHECK(r.rip == 0x400999);
	/* a process as a whole: memory through its space */
	CHECK(!strcmp(ask("Hgp5.0"), "OK"));
	CHECK(!strcmp(ask("m400000,4"), "deadbeef"));
	/* the vCPU process: the vCPU's page tables, which lack 0x400000 */
	CHECK(!strcmp(ask("Hgp1.1"), "OK"));
	CHECK(!strcmp(ask("m400000,4"), "E0e"));
	/* a frame pointer into nowhere: an error, not a read elsewhere */
	put(THREADS + 33 * TSTRIDE + 24, 0xffffffff7f000000ull, 8);
	CHECK(!strcmp(ask("Hgp5.21"), "OK"));
	CHECK(!strcmp(ask("g"), "E0e"));
	/* selections that name nothing are refused */
	CHECK(!strcmp(ask("Hgp5.22"), "E16"));
	CHECK(!strcmp(ask("Hgp6.21"), "E16"));
	CHECK(!strcmp(ask("Hgp7.0"), "E16"));		/* space 5: no page tables */
	CHECK(!strcmp(ask("Hgpz.1"), "E16"));
}

TEST(gdb_os_breakpoint_belongs_to_its_space)
{
	struct gdb_stop bp = { GDB_STOP_DEBUG, 0, 3, 0 };
	struct gdb_stop step = { GDB_STOP_DEBUG, 0, 1, 1u << 14 };

	os_setup();
	ram[0x200000] = 0x90;
	CHECK(!strcmp(ask("Hgp5.0"), "OK"));
	CHECK(!strcmp(ask("Z0,400000,1"), "OK"));
	CHECK(ram[0x200000] == 0xcc);
	/* space 4 shares the frame: its thread hits the int3, which the stub
	 * steps over without telling gdb */
	ask("c");
	regs.cr3 = OPML4;
	regs.rip = 0x400000;
	resumes = 0;
	out_len = 0;
	gdb_stub__stopped(&stub, &bp);
	CHECK(out_len == 0 && resumes == 1 && last_cfg.step_cpu == 0);
	CHECK(ram[0x200000] == 0x90);		/* the original, for one step */
	gdb_stub__stopped(&stub, &step);
	CHECK(out_len == 0 && resumes == 2 && last_cfg.step_cpu == -1);
	CHECK(ram[0x200000] == 0xcc);		/* back */
	/* space 3's own thread stops there, in user mode: its thread */
	regs.cr3 = UPML4;
	regs.seg[0] = 0x23;
	gdb_stub__stopped(&stub, &bp);
	CHECK(strstr(out, "$T05thread:p5.20;swbreak:;#"));
	/* the same address in space 4 is another breakpoint; removing one
	 * keeps the int3 for the other */
	CHECK(!strcmp(ask("Hgp6.0"), "OK"));
	CHECK(!strcmp(ask("Z0,400000,1"), "OK"));
	CHECK(!strcmp(ask("Hgp5.0"), "OK"));
	CHECK(!strcmp(ask("z0,400000,1"), "OK"));
	CHECK(ram[0x200000] == 0xcc);
	CHECK(!strcmp(ask("Hgp6.0"), "OK"));
	CHECK(!strcmp(ask("z0,400000,1"), "OK"));
	CHECK(ram[0x200000] == 0x90);
	/* gdb letting go of one program removes its breakpoints only, and
	 * the session goes on; of the machine, it ends */
	CHECK(!strcmp(ask("Z0,400000,1"), "OK"));	/* space 4's */
	CHECK(!strcmp(ask("Hgp5.0"), "OK"));
	CHECK(!strcmp(ask("Z0,400000,1"), "OK"));	/* space 3's */
	resumes = 0;
	CHECK(!strcmp(ask("D;6"), "OK"));
	CHECK(stub.state == GDB_STOPPED && resumes == 0 && ram[0x200000] == 0xcc);
	CHECK(!gdb_bps__sw_find(&stub.bps, 0x400000, OPML4));
	CHECK(!strcmp(ask("D;5"), "OK"));
	CHECK(stub.state == GDB_STOPPED && ram[0x200000] == 0x90);
	CHECK(!strcmp(ask("D;1"), "OK"));
	CHECK(stub.state == GDB_DETACHED && resumes == 1);
}

TEST(gdb_os_pending_breakpoint_until_mapped)
{
	struct gdb_stop hit = { GDB_STOP_DEBUG, 0, 1, 1 };	/* DR0 */

	os_setup();
	CHECK(!strcmp(ask("Hgp5.0"), "OK"));
	/* 0x600000 is not mapped in space 3 yet: a debug register waits */
	CHECK(!strcmp(ask("Z0,600000,1"), "OK"));
	ask("c");
	CHECK(last_cfg.dr[0] == 0x600000 && (last_cfg.dr7 & 2));
	/* another space runs that address: not reported, stepped past */
	regs.cr3 = OPML4;
	regs.rip = 0x600000;
	out_len = 0;
	resumes = 0;
	gdb_stub__stopped(&stub, &hit);
	CHECK(out_len == 0 && resumes == 1 && (regs.eflags & (1u << 16)));
	/* space 3 maps it and runs it: gdb sees its breakpoint, and the int3
	 * replaces the debug register */
	put(UPD + 3 * 8, 0x600000 | 0x87, 8);
	ram[0x600000] = 0x55;
	regs.cr3 = UPML4;
	regs.seg[0] = 0x23;
	gdb_stub__stopped(&stub, &hit);
	CHECK(strstr(out, "$T05thread:p5.20;swbreak:;#"));
	CHECK(ram[0x600000] == 0xcc);
	CHECK(gdb_bps__pending_find(&stub.bps, 0x600000, UPML4) == -1);
	/* unmapped again: the byte goes back and the debug register waits */
	put(UPD + 3 * 8, 0, 8);
	ask("c");
	gdb_stub__stopped(&stub, &(struct gdb_stop){ GDB_STOP_INTERRUPT, 0, 0, 0 });
	CHECK(ram[0x600000] == 0x55);
	CHECK(gdb_bps__pending_find(&stub.bps, 0x600000, UPML4) >= 0);
	CHECK(!strcmp(ask("Hgp5.0"), "OK"));		/* as gdb selects it */
	CHECK(!strcmp(ask("z0,600000,1"), "OK"));
	CHECK(gdb_bps__pending_find(&stub.bps, 0x600000, UPML4) == -1);
}

/* gdb steps one thread past its breakpoint ("vCont;s:THREAD", no other
 * thread to run): the step ends in that thread, in user mode, whatever
 * the kernel does meanwhile. A step into the kernel (a system call) goes
 * on until the thread traps back in user mode with the trap flag its
 * saved flags kept; a breakpoint another thread hits meanwhile is not
 * reported (gdb let only the stepped thread run), but stepped past. */
TEST(gdb_os_step_stays_in_its_thread)
{
	struct gdb_stop bp = { GDB_STOP_DEBUG, 0, 3, 0 };
	struct gdb_stop step = { GDB_STOP_DEBUG, 0, 1, 1u << 14 };

	os_setup();
	ram[0x200000] = 0x90;
	ram[0x100] = 0x55;		/* a kernel function at KVA(0x100) */
	CHECK(!strcmp(ask("Hgp5.0"), "OK"));
	CHECK(!strcmp(ask("Z0,400000,1"), "OK"));
	CHECK(!strcmp(ask("Hgp1.1"), "OK"));
	CHECK(!strcmp(ask("Z0,ffffffff80000100,1"), "OK"));
	ask("c");
	/* thread 32 (process 5) stops at its breakpoint, in user mode */
	regs.cr3 = UPML4;
	regs.seg[0] = 0x23;
	regs.rip = 0x400000;
	gdb_stub__stopped(&stub, &bp);
	CHECK(strstr(out, "$T05thread:p5.20;swbreak:;#"));
	/* gdb steps it past: it runs in user mode, so KVM's single step */
	CHECK(!strcmp(ask("Hgp5.0"), "OK"));
	CHECK(!strcmp(ask("z0,400000,1"), "OK"));
	resumes = 0;
	ask("vCont;s:p5.20");
	CHECK(resumes == 1 && last_cfg.step_cpu == 0 && !last_cfg.catch_db);
	/* the instruction enters the kernel: not the end of the step */
	regs.seg[0] = 0;
	regs.cr3 = KPML4;
	regs.rip = 0xffffffff80000040ull;
	out_len = 0;
	gdb_stub__stopped(&stub, &step);
	CHECK(out_len == 0 && resumes == 2 && last_cfg.step_cpu == -1 &&
	      last_cfg.catch_db);
	/* the kernel hits gdb's breakpoint of the machine's: not the thread
	 * gdb let run, so stepped past unseen */
	regs.rip = 0xffffffff80000100ull;
	gdb_stub__stopped(&stub, &bp);
	CHECK(out_len == 0 && resumes == 3 && last_cfg.step_cpu == 0 &&
	      ram[0x100] == 0x55);
	regs.rip++;
	gdb_stub__stopped(&stub, &step);
	CHECK(out_len == 0 && resumes == 4 && last_cfg.step_cpu == -1 &&
	      last_cfg.catch_db && ram[0x100] == 0xcc);
	/* another thread of the program traps in user mode: the guest's
	 * own, resumed */
	put(CURRENT, KVA(THREADS + 33 * TSTRIDE), 8);
	regs.seg[0] = 0x23;
	regs.cr3 = UPML4;
	regs.rip = 0x400010;
	gdb_stub__stopped(&stub, &step);
	CHECK(out_len == 0 && resumes == 5 && last_cfg.catch_db);
	/* thread 32 back in user mode traps with the trap flag it kept: the
	 * step gdb asked for, on its thread, with the flag taken off */
	put(CURRENT, KVA(THREADS + 32 * TSTRIDE), 8);
	regs.rip = 0x400002;
	regs.eflags = 0x302;
	gdb_stub__stopped(&stub, &step);
	CHECK(strstr(out, "$T05thread:p5.20;#") && regs.eflags == 0x202);
	ask("c");
	CHECK(!last_cfg.catch_db && last_cfg.step_cpu == -1);
	/* a step in one instruction reported as such; a vCPU's step stays on
	 * the vCPU though it ends in user mode */
	gdb_stub__stopped(&stub, &(struct gdb_stop){ GDB_STOP_INTERRUPT, 0, 0, 0 });
	ask("vCont;s:p5.20");
	CHECK(last_cfg.step_cpu == 0);
	regs.rip++;
	gdb_stub__stopped(&stub, &step);
	CHECK(strstr(out, "$T05thread:p5.20;#"));
	ask("vCont;s:p1.1");
	CHECK(last_cfg.step_cpu == 0 && !last_cfg.catch_db);
	gdb_stub__stopped(&stub, &step);
	CHECK(strstr(out, "$T05thread:p1.1;#"));
	/* with every other thread let run, another thread's breakpoint is
	 * reported; so it is when gdb resumes one process as a whole (its
	 * current inferior, with schedule-multiple off): the kernel runs
	 * every thread */
	ask("vCont;s:p5.20;c");
	regs.seg[0] = 0;
	regs.rip = 0xffffffff80000100ull;
	gdb_stub__stopped(&stub, &bp);
	CHECK(strstr(out, "$T05thread:p1.1;swbreak:;#"));
	ask("vCont;c:p5.-1");
	gdb_stub__stopped(&stub, &bp);
	CHECK(strstr(out, "$T05thread:p1.1;swbreak:;#"));
}

/* A thread that is not running (switched out, or in the kernel): its step
 * is the trap flag in its saved flags; Ctrl-C meanwhile stops on it, and
 * detaching takes the flag off again. */
TEST(gdb_os_step_switched_out_thread)
{
	struct gdb_stop step = { GDB_STOP_DEBUG, 0, 1, 1u << 14 };
	const uint64_t rflags = FRAMES + 33 * 0x100 +
				offsetof(struct mkvm_kdebug_frame, rflags);

	os_setup();
	/* one with no saved registers cannot be stepped */
	put(THREADS + 34 * TSTRIDE + 24, 0, 8);
	CHECK(!strcmp(ask("vCont;s:p6.22"), "E16") && stub.state == GDB_STOPPED);
	resumes = 0;
	ask("vCont;s:p5.21");
	CHECK(resumes == 1 && last_cfg.step_cpu == -1 && last_cfg.catch_db);
	CHECK(*(uint64_t *)(ram + rflags) == 0x302);
	/* it runs, traps after one instruction: its step */
	put(CURRENT, KVA(THREADS + 33 * TSTRIDE), 8);
	regs.seg[0] = 0x23;
	regs.cr3 = UPML4;
	regs.rip = 0x400124;
	regs.eflags = 0x302;
	gdb_stub__stopped(&stub, &step);
	CHECK(strstr(out, "$T05thread:p5.21;#") && regs.eflags == 0x202);
	/* again, now that thread 32 runs: Ctrl-C stops on the stepped thread */
	put(CURRENT, KVA(THREADS + 32 * TSTRIDE), 8);
	ask("vCont;s:p5.21");
	CHECK(*(uint64_t *)(ram + rflags) == 0x302);
	gdb_stub__stopped(&stub, &(struct gdb_stop){ GDB_STOP_INTERRUPT, 0, 0, 0 });
	CHECK(strstr(out, "$T02thread:p5.21;#"));
	CHECK(!strcmp(ask("D"), "OK"));
	CHECK(*(uint64_t *)(ram + rflags) == 0x202);
}

/* vCPU 0 stopped (st) at the hook with rdi naming kernel thread n's TCB
 * plus off (off 0: the TCB itself); gdb's output is cleared first. */
static void named_stop(uint64_t hook, unsigned n, unsigned off,
		       const struct gdb_stop *st)
{
	regs.rip = hook;
	regs.gpr[GDB_REG_RDI] = KVA(THREADS + n * TSTRIDE + off);
	out_len = 0;
	gdb_stub__stopped(&stub, st);
}

/* The kernel's "thread named" function while its page is not mapped (as
 * from the PVH entry, paging off): a debug register of the stub's own
 * while gdb runs the guest; a thread of a program named there is reported
 * as a library event on that thread (gdb adds the process and loads its
 * ELF, then resumes); gdb's breakpoints come first for the slots. */
TEST(gdb_os_named_hook)
{
	const uint64_t hook = 0xffffffffc0103a20ull;	/* not mapped */
	struct gdb_stop hit = { GDB_STOP_DEBUG, 0, 1, 0 };
	int slot;

	os_setup();
	gdb_stub__set_os(&stub, KVA(DESC), "/progs", hook);
	ask("c");
	CHECK(!last_cfg.sw_bp);
	slot = -1;
	for (int i = 0; i < GDB_HW_SLOTS; i++)
		if (last_cfg.dr[i] == hook && (last_cfg.dr7 & (2ull << 2 * i)))
			slot = i;
	REQUIRE(slot >= 0);
	CHECK(((last_cfg.dr7 >> (16 + 4 * slot)) & 0xf) == 0);	/* execute, 1 byte */
	/* thread 34 of space 4 ("other") was named */
	hit.dr6 = 1ull << slot;
	resumes = 0;
	named_stop(hook, 34, 0, &hit);
	CHECK(strstr(out, "$T05library:;thread:p6.22;#"));
	CHECK(resumes == 0 && (regs.eflags & (1u << 16)));	/* RF: past it */
	CHECK(!strcmp(ask("qC"), "QCp6.22"));
	CHECK(!strcmp(ask("m400000,4"), "deadbeef"));		/* through its space */
	/* a thread of no program gdb can show, or no thread: resumed, unseen */
	ask("c");
	memcpy(ram + THREADS + 34 * TSTRIDE + 64, "../x", 5);
	regs.eflags = 0;
	out_len = 0;
	resumes = 0;
	gdb_stub__stopped(&stub, &hit);
	CHECK(out_len == 0 && resumes == 1 && (regs.eflags & (1u << 16)));
	regs.gpr[GDB_REG_RDI] = KVA(THREADS + 34 * TSTRIDE + 8);	/* not a TCB's start */
	gdb_stub__stopped(&stub, &hit);
	CHECK(out_len == 0 && resumes == 2);
	/* gdb's own hardware breakpoints may take every slot, the hook's too */
	gdb_stub__stopped(&stub, &(struct gdb_stop){ GDB_STOP_INTERRUPT, 0, 0, 0 });
	CHECK(!strcmp(ask("Z1,1000,1"), "OK"));
	CHECK(!strcmp(ask("Z1,2000,1"), "OK"));
	CHECK(!strcmp(ask("Z1,3000,1"), "OK"));
	CHECK(!strcmp(ask("Z1,4000,1"), "OK"));
	CHECK(!strcmp(ask("Z1,5000,1"), "E16"));
	ask("c");
	for (int i = 0; i < GDB_HW_SLOTS; i++)
		CHECK(last_cfg.dr[i] != hook);
	/* without multiprocess there is no hook */
	gdb_stub__stopped(&stub, &(struct gdb_stop){ GDB_STOP_INTERRUPT, 0, 0, 0 });
	CHECK(!strcmp(ask("z1,4000,1"), "OK"));
	stub.multi = false;
	ask("c");
	for (int i = 0; i < GDB_HW_SLOTS; i++)
		CHECK(last_cfg.dr[i] != hook);
	CHECK(!last_cfg.sw_bp);
}

/* Once the kernel's text is mapped the hook is an int3 over the
 * function's first instruction, a one-byte nop, which leaves gdb all four
 * debug registers: a hit moves RIP past it (no step, nothing restored),
 * and gdb never sees the int3 in memory. */
TEST(gdb_os_named_hook_int3)
{
	const uint64_t hook = KVA(0x103a20);
	struct gdb_stop bp = { GDB_STOP_DEBUG, 0, 3, 0 };
	const struct gdb_stop intr = { GDB_STOP_INTERRUPT, 0, 0, 0 };

	os_setup();
	gdb_stub__set_os(&stub, KVA(DESC), "/progs", hook);
	ram[0x103a20] = 0x90;
	ram[0x103a21] = 0xc3;
	regs.cr0 &= ~(1ull << 31);		/* paging off: a debug register */
	ask("c");
	CHECK(ram[0x103a20] == 0x90 && last_cfg.dr7 && !last_cfg.sw_bp);
	/* it catches thread 32 once paging is on: past the nop, not with RF
	 * (the int3 that replaces the debug register would catch it again) */
	regs.cr0 |= 1ull << 31;
	named_stop(hook, 32, 0, &(struct gdb_stop){ GDB_STOP_DEBUG, 0, 1,
		   last_cfg.dr[0] == hook ? 1 : last_cfg.dr[1] == hook ? 2 :
		   last_cfg.dr[2] == hook ? 4 : 8 });
	CHECK(strstr(out, "$T05library:;thread:p5.20;#"));
	CHECK(regs.rip == hook + 1 && !(regs.eflags & (1u << 16)));
	ask("c");
	CHECK(ram[0x103a20] == 0xcc && last_cfg.sw_bp && !last_cfg.dr7);
	/* thread 34 of space 4 ("other") is named: a library event, past
	 * the nop */
	resumes = 0;
	named_stop(hook, 34, 0, &bp);
	CHECK(strstr(out, "$T05library:;thread:p6.22;#"));
	CHECK(resumes == 0 && regs.rip == hook + 1 && ram[0x103a20] == 0xcc);
	/* gdb reads and writes the function's bytes, not the int3 */
	CHECK(!strcmp(ask("mffffffff80103a20,2"), "90c3"));
	CHECK(!strcmp(ask("Mffffffff80103a20,1:cc"), "OK"));
	CHECK(!strcmp(ask("mffffffff80103a20,1"), "cc"));
	CHECK(!strcmp(ask("Mffffffff80103a20,1:90"), "OK"));
	CHECK(!strcmp(ask("mffffffff80103a20,1"), "90") && ram[0x103a20] == 0xcc);
	ask("c");
	CHECK(resumes == 1 && last_cfg.step_cpu == -1 && ram[0x103a20] == 0xcc);
	/* a thread of no program: past the nop, resumed unseen */
	named_stop(hook, 34, 8, &bp);		/* not a TCB's start */
	CHECK(out_len == 0 && resumes == 2 && regs.rip == hook + 1);
	/* named while gdb steps one thread alone: announced at gdb's next
	 * resume of every thread, which reports it at once */
	gdb_stub__stopped(&stub, &intr);
	regs.seg[0] = 0x23;
	ask("vCont;s:p5.20");
	regs.seg[0] = 0;
	named_stop(hook, 34, 0, &bp);
	CHECK(out_len == 0 && resumes == 4 && regs.rip == hook + 1);
	regs.seg[0] = 0x23;
	gdb_stub__stopped(&stub, &(struct gdb_stop){ GDB_STOP_DEBUG, 0, 1, 1u << 14 });
	CHECK(strstr(out, "$T05thread:p5.20;#"));
	CHECK(!strcmp(ask("vCont;c"), "T05library:;thread:p5.20;") && resumes == 4);
	CHECK(stub.state == GDB_STOPPED);
	ask("c");
	CHECK(resumes == 5);
	regs.seg[0] = 0;
	/* gdb's own breakpoint there is gdb's stop, and once gdb removes it
	 * the hook's int3 stays */
	gdb_stub__stopped(&stub, &intr);
	CHECK(!strcmp(ask("Z0,ffffffff80103a20,1"), "OK"));
	ask("c");
	regs.rip = hook;
	gdb_stub__stopped(&stub, &bp);
	CHECK(strstr(out, "swbreak:") && regs.rip == hook);
	CHECK(!strcmp(ask("z0,ffffffff80103a20,1"), "OK"));
	CHECK(ram[0x103a20] == 0xcc);
	/* detaching takes it out */
	CHECK(!strcmp(ask("D"), "OK"));
	CHECK(ram[0x103a20] == 0x90);
}

/* A hook function that does not start with a nop keeps the debug
 * register: an int3 there could not be stepped past without a step. */
TEST(gdb_os_named_hook_needs_nop)
{
	const uint64_t hook = KVA(0x103a20);

	os_setup();
	gdb_stub__set_os(&stub, KVA(DESC), "/progs", hook);
	ram[0x103a20] = 0xc3;
	ask("c");
	CHECK(ram[0x103a20] == 0xc3 && !last_cfg.sw_bp);
	CHECK(last_cfg.dr7 && (last_cfg.dr[0] == hook || last_cfg.dr[1] == hook ||
			       last_cfg.dr[2] == hook || last_cfg.dr[3] == hook));
}

/* A program of the boot configuration that runs another's ELF (elf=):
 * gdb is given that ELF; names that would leave the directory are not. */
TEST(gdb_os_exec_file_of_alias)
{
	static const char cfg[] =
		"# comment elf=x\n"
		"other   manual elf=server pages=40\n"
		"server  restart\n"
		"../up   elf=server\n"
		"evil    elf=../../etc/passwd\n"
		"toolongnameforakernelthread elf=server";

	os_setup();
	gdb_stub__set_aliases(&stub, cfg, sizeof(cfg) - 1);
	CHECK(stub.naliases == 1);
	CHECK(!strcmp(ask("qXfer:exec-file:read:6:0,100"), "l/progs/server"));
	CHECK(!strcmp(ask("qXfer:exec-file:read:5:0,100"), "l/progs/server"));
	gdb_stub__set_aliases(&stub, "other elf=../x\n", 15);
	CHECK(!strcmp(ask("qXfer:exec-file:read:6:0,100"), "l/progs/other"));
}

/* A program whose ELF is not in the programs directory is not shown: gdb
 * could not give its process an architecture. */
TEST(gdb_os_program_without_elf_hidden)
{
	os_setup();
	gdb_stub__set_files(&stub, "server\nboot.cfg\n", 16);
	CHECK(!strcmp(ask("qfThreadInfo"), "mp1.1,p5.20,p5.21"));
	CHECK(!strcmp(ask("qXfer:exec-file:read:6:0,100"), "E00"));
	/* unless it runs another's ELF that is there */
	gdb_stub__set_aliases(&stub, "other elf=server\n", 17);
	CHECK(!strcmp(ask("qfThreadInfo"), "mp1.1,p5.20,p5.21,p6.22"));
	CHECK(!strcmp(ask("qXfer:exec-file:read:6:0,100"), "l/progs/server"));
}
