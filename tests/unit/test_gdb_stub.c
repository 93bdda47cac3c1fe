/* The stub's command dispatch (vmm/gdb/stub.c, mem.c, monitor.c) driven
 * through its byte interface against a fake two-vCPU target. */
#include <stdio.h>
#include <string.h>
#include "gdb/stub.h"
#include "unit.h"

#define RAM_SIZE (4u << 20)

static struct fake {
	uint8_t ram[RAM_SIZE];
	struct gdb_regs regs[2];
	char out[16384];
	size_t out_len;
	int resumes, interrupts, kills;
	struct gdb_debug_cfg cfg;
} f;

static bool fake_get_regs(void *ctx, unsigned cpu, struct gdb_regs *r)
{
	(void)ctx;
	if (cpu >= 2)
		return false;
	*r = f.regs[cpu];
	return true;
}

static bool fake_set_regs(void *ctx, unsigned cpu, const struct gdb_regs *r)
{
	(void)ctx;
	if (cpu >= 2)
		return false;
	f.regs[cpu] = *r;
	return true;
}

static bool fake_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(buf, f.ram + gpa, len);
	return true;
}

static bool fake_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(f.ram + gpa, buf, len);
	return true;
}

static void fake_resume(void *ctx, const struct gdb_debug_cfg *cfg)
{
	(void)ctx;
	f.resumes++;
	f.cfg = *cfg;
}

static void fake_interrupt(void *ctx) { (void)ctx; f.interrupts++; }
static void fake_kill(void *ctx) { (void)ctx; f.kills++; }

static bool fake_send(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	if (f.out_len + len < sizeof(f.out)) {
		memcpy(f.out + f.out_len, buf, len);
		f.out_len += len;
		f.out[f.out_len] = '\0';
	}
	return true;
}

static struct gdb_stub stub;

#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LMA (1ull << 10)

/* vCPU 0 runs in long mode with va 0x400000+x -> pa 0x200000+x (2 MiB page)
 * and va 0x1000 unmapped; vCPU 1 has paging off. */
static void setup(void)
{
	static const struct gdb_target t = {
		.ctx = NULL, .ncpus = 2, .get_regs = fake_get_regs,
		.set_regs = fake_set_regs, .read_phys = fake_read,
		.write_phys = fake_write, .resume = fake_resume,
		.interrupt = fake_interrupt, .kill = fake_kill,
		.send = fake_send,
	};
	uint64_t e;

	memset(&f, 0, sizeof(f));
	f.regs[0].cr0 = CR0_PG | 1;
	f.regs[0].cr3 = 0x10000;
	f.regs[0].cr4 = CR4_PAE;
	f.regs[0].efer = EFER_LMA;
	f.regs[0].gpr[0] = 0x1111;
	f.regs[1].gpr[0] = 0x2222;
	f.regs[1].rip = 0xfff0;
	e = 0x11000 | 3;
	memcpy(f.ram + 0x10000, &e, 8);		/* PML4[0] */
	e = 0x12000 | 3;
	memcpy(f.ram + 0x11000, &e, 8);		/* PDPT[0] */
	e = 0x200000 | 0x83;
	memcpy(f.ram + 0x12000 + 2 * 8, &e, 8);	/* PD[2]: 2 MiB page */
	gdb_stub__init(&stub, &t);
}

static void feed(const char *s)
{
	gdb_stub__input(&stub, (const uint8_t *)s, strlen(s));
}

/* Sends one framed packet and returns the payload of the last reply
 * frame (or "" if none); the raw output stays in f.out. */
static const char *ask(const char *payload)
{
	static char reply[16384];
	char frame[8192];
	size_t n = gdb_frame(frame, sizeof(frame), payload, strlen(payload));
	char *start, *end;

	frame[n] = '\0';
	f.out_len = 0;
	f.out[0] = '\0';
	feed(frame);
	reply[0] = '\0';
	start = strrchr(f.out, '$');
	end = start ? strrchr(start, '#') : NULL;
	if (start && end) {
		memcpy(reply, start + 1, (size_t)(end - start - 1));
		reply[end - start - 1] = '\0';
	}
	return reply;
}

TEST(gdb_stub_handshake_and_acks)
{
	setup();
	CHECK(strstr(ask("qSupported:multiprocess+;swbreak+"),
		     "qXfer:features:read+"));
	CHECK(f.out[0] == '+');			/* acked */
	CHECK(!strcmp(ask("?"), "T05thread:1;"));
	CHECK(!strcmp(ask("qAttached"), "1"));
	CHECK(!strcmp(ask("qfThreadInfo"), "m1,2"));
	CHECK(!strcmp(ask("qsThreadInfo"), "l"));
	CHECK(!strcmp(ask("vMustReplyEmpty"), ""));
	CHECK(!strcmp(f.out, "+$#00"));
	/* bad checksum: '-' and nothing else */
	f.out_len = 0;
	feed("$?#00");
	CHECK(f.out_len == 1 && f.out[0] == '-');
	/* '-' from gdb resends the last reply */
	ask("qC");
	f.out_len = 0;
	feed("-");
	CHECK(!strcmp(f.out, "$QC1#c5"));
	CHECK(!strcmp(ask("QStartNoAckMode"), "OK"));
	CHECK(f.out[0] == '+');			/* the switch itself is acked */
	ask("qC");
	CHECK(f.out[0] == '$');			/* later ones are not */
}

TEST(gdb_stub_registers_per_thread)
{
	const char *r;

	setup();
	r = ask("g");
	CHECK(strlen(r) == gdb_regs__hex_size());
	CHECK(!strncmp(r, "1111000000000000", 16));
	CHECK(!strcmp(ask("Hg2"), "OK"));
	CHECK(!strncmp(ask("g"), "2222000000000000", 16));
	CHECK(!strcmp(ask("p10"), "f0ff000000000000"));	/* rip */
	CHECK(!strcmp(ask("P10=0010000000000000"), "OK"));
	CHECK(f.regs[1].rip == 0x1000);
	CHECK(!strcmp(ask("P10=00"), "E16"));
	CHECK(!strcmp(ask("p42"), "E16"));		/* no register 66 */
	CHECK(!strcmp(ask("Hg3"), "E16"));		/* no thread 3 */
	CHECK(!strcmp(ask("T2"), "OK"));
	CHECK(!strcmp(ask("T3"), "E01"));
	CHECK(!strcmp(ask("G1234"), "E16"));
}

TEST(gdb_stub_memory_through_page_tables)
{
	setup();
	memcpy(f.ram + 0x200010, "\x01\x02\x03\x04", 4);
	CHECK(!strcmp(ask("m400010,4"), "01020304"));
	CHECK(!strcmp(ask("m1000,4"), "E0e"));		/* unmapped */
	/* a read running off the mapping is cut short, not failed */
	CHECK(strlen(ask("m5ffffe,4")) == 4);
	CHECK(!strcmp(ask("M400020,2:beef"), "OK"));
	CHECK(f.ram[0x200020] == 0xbe && f.ram[0x200021] == 0xef);
	CHECK(!strcmp(ask("M400020,2:be"), "E16"));	/* short data */
	/* X: binary; "}\x03" is an escaped '#' */
	CHECK(!strcmp(ask("X400030,3:a}\x03z"), "OK"));
	CHECK(!memcmp(f.ram + 0x200030, "a#z", 3));
	CHECK(!strcmp(ask("X400030,0:"), "OK"));
	CHECK(!strcmp(ask("m40,"), "E16"));
	/* thread 2 has paging off: physical == virtual */
	ask("Hg2");
	CHECK(!strcmp(ask("m200010,2"), "0102"));
	/* monitor phys: thread 1 now addresses physical memory too */
	ask("Hg1");
	ask("qRcmd,70687973206f6e");			/* "phys on" */
	CHECK(!strcmp(ask("m200010,2"), "0102"));
}

TEST(gdb_stub_monitor_commands)
{
	setup();
	/* "translate 0x400123" */
	CHECK(!strcmp(ask("qRcmd,7472616e736c617465203078343030313233"),
		      "OK"));
	/* console output arrived as an O packet: "0x400123 -> 0x200123" */
	CHECK(strstr(f.out, "$O3078343030313233202d3e2030783230303132"));
	CHECK(!strcmp(ask("qRcmd,626f677573"), "E16"));	/* "bogus" */
	CHECK(!strcmp(ask("qRcmd,6"), "E16"));		/* odd hex */
	/* "cr3 0x20000": an empty address space */
	CHECK(!strcmp(ask("qRcmd,6372332030783230303030"), "OK"));
	CHECK(!strcmp(ask("m400010,4"), "E0e"));
	CHECK(!strcmp(ask("qRcmd,637233206f6666"), "OK"));	/* cr3 off */
	CHECK(strlen(ask("m400010,4")) == 8);
}

TEST(gdb_stub_target_xml_in_chunks)
{
	const char *xml = gdb_regs__target_xml();
	char got[16384] = "", req[64];
	size_t off = 0;

	setup();
	for (int i = 0; i < 100; i++) {
		const char *r;

		snprintf(req, sizeof(req),
			 "qXfer:features:read:target.xml:%zx,1f4", off);
		r = ask(req);
		REQUIRE(r[0] == 'm' || r[0] == 'l');
		strcat(got, r + 1);
		off += strlen(r + 1);
		if (r[0] == 'l')
			break;
	}
	CHECK(!strcmp(got, xml));
	CHECK(!strcmp(ask("qXfer:features:read:other.xml:0,10"), "E00"));
	CHECK(!strcmp(ask("qXfer:features:read:target.xml:zz"), "E16"));
}

TEST(gdb_stub_breakpoints_and_stops)
{
	struct gdb_stop st = { GDB_STOP_DEBUG, 1, 3, 0 };

	setup();
	f.ram[0x200040] = 0x90;
	CHECK(!strcmp(ask("Z0,400040,1"), "OK"));
	CHECK(f.ram[0x200040] == 0xcc);
	/* unmapped: pending in a debug register until it is mapped */
	CHECK(!strcmp(ask("Z0,1000,1"), "OK"));
	CHECK(gdb_bps__pending_find(&stub.bps, 0x1000, 0) == 0);
	CHECK(!strcmp(ask("z0,1000,1"), "OK"));
	CHECK(gdb_bps__pending_find(&stub.bps, 0x1000, 0) == -1);
	/* translated, but not to RAM (a kernel address before paging is on
	 * translates to itself): pending too */
	CHECK(!strcmp(ask("Hg2"), "OK"));		/* vCPU 1: paging off */
	CHECK(!strcmp(ask("Z0,ffffffff80102cf0,1"), "OK"));
	CHECK(gdb_bps__pending_find(&stub.bps, 0xffffffff80102cf0ull, 0) == 0);
	CHECK(!strcmp(ask("z0,ffffffff80102cf0,1"), "OK"));
	CHECK(!strcmp(ask("Hg1"), "OK"));
	CHECK(!strcmp(ask("Z2,400100,4"), "OK"));
	CHECK(!strcmp(ask("Z2,400101,4"), "E16"));	/* misaligned */
	CHECK(!strcmp(ask("Z9,400100,4"), ""));		/* unknown type */
	CHECK(!strcmp(ask("c"), ""));			/* no reply yet */
	CHECK(f.resumes == 1 && f.cfg.step_cpu == -1 && f.cfg.sw_bp);
	CHECK(f.cfg.dr[0] == 0x400100 && (f.cfg.dr7 & 3) == 2);
	/* while running: only Ctrl-C is acted on */
	CHECK(!strcmp(ask("g"), "E16"));
	feed("\x03");
	CHECK(f.interrupts == 1);
	gdb_stub__stopped(&stub, &st);
	CHECK(strstr(f.out, "$T05thread:2;swbreak:;#"));
	CHECK(!strcmp(ask("qC"), "QC2"));		/* stopped thread */
	CHECK(!strcmp(ask("z0,400040,1"), "OK"));
	CHECK(f.ram[0x200040] == 0x90);
	CHECK(!strcmp(ask("z0,400040,1"), "E16"));	/* not inserted */

	CHECK(!strcmp(ask("vCont;c"), ""));
	st = (struct gdb_stop){ GDB_STOP_DEBUG, 0, 1, 1 };	/* DR0 hit */
	gdb_stub__stopped(&stub, &st);
	CHECK(strstr(f.out, "$T05thread:1;watch:400100;#"));
	CHECK(!strcmp(ask("vCont;s:2;c"), ""));
	CHECK(f.cfg.step_cpu == 1 && !f.cfg.sw_bp);
	st = (struct gdb_stop){ GDB_STOP_DEBUG, 1, 1, 1u << 14 };
	gdb_stub__stopped(&stub, &st);
	CHECK(strstr(f.out, "$T05thread:2;#"));
	CHECK(!strcmp(ask("vCont;x"), "E16"));
	CHECK(!strcmp(ask("vCont;s:9"), "E16"));
	CHECK(!strcmp(ask("vCont?"), "vCont;c;C;s;S"));
	/* s with an address sets the PC of the Hc thread */
	ask("Hc2");
	CHECK(!strcmp(ask("s1234"), ""));
	CHECK(f.regs[1].rip == 0x1234 && f.cfg.step_cpu == 1);
}

TEST(gdb_stub_detach_cleans_up)
{
	setup();
	f.ram[0x200040] = 0x55;
	ask("Z0,400040,1");
	ask("Z1,400050,1");
	CHECK(!strcmp(ask("D"), "OK"));
	CHECK(f.ram[0x200040] == 0x55);
	CHECK(f.resumes == 1 && f.cfg.dr7 == 0 && !f.cfg.sw_bp &&
	      f.cfg.step_cpu == -1);
	CHECK(stub.state == GDB_DETACHED);
	CHECK(!strcmp(ask("g"), ""));		/* nothing after detach */
	setup();
	ask("k");
	CHECK(f.kills == 1 && stub.state == GDB_DETACHED);
}

/* gdb gone while the guest runs: the owner stops the vCPUs and detaches;
 * the breakpoints leave guest memory and the guest runs on undebugged. */
TEST(gdb_stub_disconnect_while_running)
{
	setup();
	f.ram[0x200040] = 0x55;
	ask("Z0,400040,1");
	ask("Z2,400100,4");
	CHECK(!strcmp(ask("c"), ""));
	REQUIRE(stub.state == GDB_RUNNING && f.resumes == 1);
	CHECK(f.ram[0x200040] == 0xcc);
	gdb_stub__detach(&stub);
	CHECK(f.ram[0x200040] == 0x55);
	CHECK(f.resumes == 2 && f.cfg.dr7 == 0 && !f.cfg.sw_bp &&
	      f.cfg.step_cpu == -1);
	CHECK(stub.state == GDB_DETACHED);
}

TEST(gdb_stub_exit_is_reported)
{
	setup();
	ask("c");
	f.out_len = 0;
	gdb_stub__exited(&stub, 33);
	CHECK(!strcmp(f.out, "$W21#ba"));
}
