/* OS awareness (vmm/gdb/kdebug.c): "monitor kdesc/threads/spaces/space"
 * over a fake kernel image — a description, a thread table and a space
 * table in kernel virtual memory — and over corrupt descriptions. */
#include <stdio.h>
#include <string.h>
#include <mkvm/kdebug.h>
#include "gdb/stub.h"
#include "unit.h"

#define RAM_SIZE (4u << 20)
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
#define TSTRIDE	48u
#define SSTRIDE	24u
#define NTHREADS 64u
#define NSPACES	8u

static uint8_t ram[RAM_SIZE];
static struct gdb_regs regs;
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
	};
}

static void set_desc(const struct mkvm_kdebug *d)
{
	memcpy(ram + DESC, d, sizeof(*d));
}

static void setup(void)
{
	static const struct gdb_target t = {
		.ncpus = 1, .get_regs = k_get_regs, .read_phys = k_read,
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
	CHECK(strstr(text, "2 threads\n"));
	CHECK(!strcmp(mon("spaces"), "OK"));
	CHECK(strstr(text, "    3  0x20000                5        2\n"));
	CHECK(!strstr(text, "0x10000"));	/* space 0 has no threads */
	CHECK(strstr(text, "1 spaces\n"));
	/* works the same with "monitor phys on" (kernel reads are virtual) */
	CHECK(!strcmp(mon("phys on"), "OK"));
	CHECK(!strcmp(mon("threads"), "OK"));
	CHECK(strstr(text, "2 threads\n"));
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
	d = good_desc(); d.version = 2;
	expect_refused(&d, "this stub reads version 1", true);
	d = good_desc(); d.size = 8;
	expect_refused(&d, "this stub reads version 1", true);
	d = good_desc(); d.nthreads = 0x7fffffff;
	expect_refused(&d, "outside its bounds", true);
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
	CHECK(strstr(text, "4 threads\n"));
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
