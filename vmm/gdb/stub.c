/* Command dispatch of the GDB remote stub (GDB manual, "Remote Serial
 * Protocol": "Packets", "Stop Reply Packets", "General Query Packets"). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "gdb/stub.h"

#define SIGINT_NR	2
#define SIGTRAP_NR	5

/* Errors use the errno numbers gdb documents for the 'E' replies it
 * reads, though gdb itself only checks for the 'E'. */
#define E_FAULT		"E0e"
#define E_INVAL		"E16"

void gdb_stub__init(struct gdb_stub *s, const struct gdb_target *t)
{
	memset(s, 0, sizeof(*s));
	s->t = *t;
	gdb_rx__init(&s->rx);
	s->state = GDB_STOPPED;
	s->c_all = true;
	/* Reported as a trap, as a stop at attach is reported by other stubs
	 * (gdb then shows no "signal received"). */
	s->last = (struct gdb_stop){ .kind = GDB_STOP_DEBUG, .exception = 1 };
}

/* ---- replies ---- */

static void reply__set(struct gdb_stub *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply__set(struct gdb_stub *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->reply, sizeof(s->reply), fmt, ap);
	va_end(ap);
	s->reply_len = n < 0 ? 0 : (size_t)n < sizeof(s->reply) ?
		(size_t)n : sizeof(s->reply) - 1;
}

static void stub__send_packet(struct gdb_stub *s, const char *data,
			      size_t len)
{
	size_t n = gdb_frame(s->last_frame, sizeof(s->last_frame), data, len);

	s->last_frame_len = n;
	if (n)
		s->t.send(s->t.ctx, s->last_frame, n);
}

void gdb_stub__console(struct gdb_stub *s, const char *text)
{
	char buf[GDB_PACKET_MAX + 1];
	size_t len = strlen(text);

	if (len > (sizeof(buf) - 2) / 2)
		len = (sizeof(buf) - 2) / 2;
	buf[0] = 'O';
	gdb_hex_encode(buf + 1, (const uint8_t *)text, len);
	stub__send_packet(s, buf, 1 + 2 * len);
}

/* ---- stop replies ---- */

/* The T packet for s->last, with the reason gdb needs to report a
 * breakpoint or watchpoint hit without guessing from the PC. */
static void stop__reply(struct gdb_stub *s)
{
	const struct gdb_stop *st = &s->last;
	unsigned tid = st->cpu + 1;
	int slot;

	if (st->kind == GDB_STOP_INTERRUPT) {
		reply__set(s, "T%02xthread:%x;", SIGINT_NR, tid);
		return;
	}
	if (st->exception == 3) {
		reply__set(s, "T%02xthread:%x;swbreak:;", SIGTRAP_NR, tid);
		return;
	}
	slot = gdb_bps__hw_hit(&s->bps, st->dr6);
	if (slot < 0) {			/* single step */
		reply__set(s, "T%02xthread:%x;", SIGTRAP_NR, tid);
		return;
	}
	switch (s->bps.hw[slot].type) {
	case GDB_BP_HW:
		reply__set(s, "T%02xthread:%x;hwbreak:;", SIGTRAP_NR, tid);
		break;
	case GDB_WP_WRITE:
		reply__set(s, "T%02xthread:%x;watch:%llx;", SIGTRAP_NR, tid,
			   (unsigned long long)s->bps.hw[slot].addr);
		break;
	case GDB_WP_READ:
		reply__set(s, "T%02xthread:%x;rwatch:%llx;", SIGTRAP_NR, tid,
			   (unsigned long long)s->bps.hw[slot].addr);
		break;
	default:
		reply__set(s, "T%02xthread:%x;awatch:%llx;", SIGTRAP_NR, tid,
			   (unsigned long long)s->bps.hw[slot].addr);
		break;
	}
}

void gdb_stub__stopped(struct gdb_stub *s, const struct gdb_stop *stop)
{
	bool awaited = s->state == GDB_RUNNING;

	if (s->state == GDB_DETACHED)
		return;
	s->last = *stop;
	if (stop->cpu >= s->t.ncpus)
		s->last.cpu = 0;
	s->g_cpu = s->c_cpu = s->last.cpu;
	s->state = GDB_STOPPED;
	if (awaited) {
		stop__reply(s);
		stub__send_packet(s, s->reply, s->reply_len);
	}
}

void gdb_stub__exited(struct gdb_stub *s, int status)
{
	if (s->state == GDB_DETACHED)
		return;
	reply__set(s, "W%02x", status & 0xff);
	stub__send_packet(s, s->reply, s->reply_len);
	s->state = GDB_DETACHED;
}

/* ---- resuming ---- */

static void stub__resume(struct gdb_stub *s, int step_cpu)
{
	struct gdb_debug_cfg cfg = { .step_cpu = step_cpu };

	cfg.sw_bp = gdb_bps__sw_any(&s->bps);
	gdb_bps__debugregs(&s->bps, cfg.dr, &cfg.dr7);
	s->state = GDB_RUNNING;
	s->t.resume(s->t.ctx, &cfg);
}

static void sw_bp__remove_all(struct gdb_stub *s)
{
	for (int i = 0; i < GDB_SW_BP_MAX; i++) {
		struct gdb_sw_bp *b = &s->bps.sw[i];

		if (b->used)
			s->t.write_phys(s->t.ctx, b->gpa, &b->orig, 1);
	}
	memset(&s->bps, 0, sizeof(s->bps));
}

void gdb_stub__detach(struct gdb_stub *s)
{
	if (s->state == GDB_DETACHED)
		return;
	sw_bp__remove_all(s);
	s->state = GDB_DETACHED;
	s->t.resume(s->t.ctx, &(struct gdb_debug_cfg){ .step_cpu = -1 });
}

/* Optional "addr" after c/s: resume from there. */
static bool resume__set_pc(struct gdb_stub *s, unsigned cpu, const char *p)
{
	struct gdb_regs r;
	uint64_t pc;

	if (!*p)
		return true;
	if (!gdb_parse_hex(&p, &pc) || *p || !s->t.get_regs(s->t.ctx, cpu, &r))
		return false;
	r.rip = pc;
	return s->t.set_regs(s->t.ctx, cpu, &r);
}

/* c [addr], s [addr], C sig[;addr], S sig[;addr] (the signal is ignored:
 * there are no signals to deliver to a VM). */
static void cmd__resume(struct gdb_stub *s, const char *p, bool step)
{
	unsigned cpu = s->c_all ? s->last.cpu : s->c_cpu;
	uint64_t sig;

	if (p[0] == 'C' || p[0] == 'S') {
		p++;
		if (!gdb_parse_hex(&p, &sig) || (*p && *p != ';')) {
			reply__set(s, E_INVAL);
			return;
		}
		if (*p == ';')
			p++;
	} else {
		p++;
	}
	if (!resume__set_pc(s, cpu, p)) {
		reply__set(s, E_INVAL);
		return;
	}
	stub__resume(s, step ? (int)cpu : -1);
}

/* Parses a thread-id field: -1 (all), 0 (any) or a positive id. */
static bool thread__parse(struct gdb_stub *s, const char **p, int *cpu)
{
	uint64_t tid;

	if ((*p)[0] == '-' && (*p)[1] == '1') {
		*p += 2;
		*cpu = -1;
		return true;
	}
	if (!gdb_parse_hex(p, &tid) || tid > s->t.ncpus)
		return false;
	*cpu = (int)tid - 1;		/* 0 ("any") becomes -1 */
	return true;
}

/* vCont;ACTION[:TID](;ACTION[:TID])*. Every vCPU runs; the first step
 * action's vCPU single-steps (gdb's default, scheduler-locking off). */
static void cmd__vcont(struct gdb_stub *s, const char *p)
{
	int step_cpu = -1;

	if (*p != ';') {
		reply__set(s, E_INVAL);
		return;
	}
	while (*p == ';') {
		char action = *++p;
		uint64_t sig;
		int cpu = -1;

		if (action != 'c' && action != 'C' && action != 's' &&
		    action != 'S') {
			reply__set(s, E_INVAL);
			return;
		}
		p++;
		if ((action == 'C' || action == 'S') && !gdb_parse_hex(&p, &sig)) {
			reply__set(s, E_INVAL);
			return;
		}
		if (*p == ':' && (p++, !thread__parse(s, &p, &cpu))) {
			reply__set(s, E_INVAL);
			return;
		}
		if ((action == 's' || action == 'S') && step_cpu < 0)
			step_cpu = cpu >= 0 ? cpu : (int)s->last.cpu;
	}
	if (*p) {
		reply__set(s, E_INVAL);
		return;
	}
	stub__resume(s, step_cpu);
}

/* ---- registers and memory ---- */

static void cmd__read_regs(struct gdb_stub *s)
{
	struct gdb_regs r;

	if (!s->t.get_regs(s->t.ctx, s->g_cpu, &r)) {
		reply__set(s, E_FAULT);
		return;
	}
	gdb_regs__encode(&r, s->reply);
	s->reply_len = gdb_regs__hex_size();
}

static void cmd__write_regs(struct gdb_stub *s, const char *hex, size_t len)
{
	struct gdb_regs r;

	if (!s->t.get_regs(s->t.ctx, s->g_cpu, &r) ||
	    !gdb_regs__decode(&r, hex, len)) {
		reply__set(s, E_INVAL);
		return;
	}
	reply__set(s, s->t.set_regs(s->t.ctx, s->g_cpu, &r) ? "OK" : E_FAULT);
}

static void cmd__read_reg(struct gdb_stub *s, const char *p)
{
	struct gdb_regs r;
	uint64_t n;

	if (!gdb_parse_hex(&p, &n) || *p || n >= GDB_REG_COUNT) {
		reply__set(s, E_INVAL);
		return;
	}
	if (!s->t.get_regs(s->t.ctx, s->g_cpu, &r)) {
		reply__set(s, E_FAULT);
		return;
	}
	s->reply_len = gdb_regs__encode_one(&r, (unsigned)n, s->reply);
}

static void cmd__write_reg(struct gdb_stub *s, const char *p, size_t len)
{
	const char *start = p;
	struct gdb_regs r;
	uint64_t n;

	if (!gdb_parse_hex(&p, &n) || *p != '=' || n >= GDB_REG_COUNT ||
	    !s->t.get_regs(s->t.ctx, s->g_cpu, &r) ||
	    !gdb_regs__decode_one(&r, (unsigned)n, p + 1,
				  len - (size_t)(p + 1 - start))) {
		reply__set(s, E_INVAL);
		return;
	}
	reply__set(s, s->t.set_regs(s->t.ctx, s->g_cpu, &r) ? "OK" : E_FAULT);
}

/* "ADDR,LEN" followed by end (m) or ':' (M, X). */
static bool addr_len__parse(const char **p, uint64_t *addr, uint64_t *len)
{
	return gdb_parse_hex(p, addr) && *(*p)++ == ',' &&
	       gdb_parse_hex(p, len);
}

static void cmd__read_mem(struct gdb_stub *s, const char *p)
{
	uint8_t buf[GDB_PACKET_MAX / 2];
	uint64_t addr, len;
	size_t n;

	if (!addr_len__parse(&p, &addr, &len) || *p) {
		reply__set(s, E_INVAL);
		return;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);	/* a short reply is allowed */
	n = gdb_mem__read(s, addr, buf, (size_t)len);
	if (n == 0 && len) {
		reply__set(s, E_FAULT);
		return;
	}
	gdb_hex_encode(s->reply, buf, n);
	s->reply_len = 2 * n;
}

/* M (hex data) and X (binary data, escaped). */
static void cmd__write_mem(struct gdb_stub *s, char *p, size_t plen,
			   bool binary)
{
	uint8_t buf[GDB_PACKET_MAX];
	const char *q = p;
	uint64_t addr, len;
	size_t data_len;
	long n;

	if (!addr_len__parse(&q, &addr, &len) || *q != ':' ||
	    len > sizeof(buf)) {
		reply__set(s, E_INVAL);
		return;
	}
	q++;
	data_len = plen - (size_t)(q - p);
	if (binary) {
		n = gdb_unescape((char *)q, data_len);
		if (n < 0 || (uint64_t)n != len) {
			reply__set(s, E_INVAL);
			return;
		}
		memcpy(buf, q, (size_t)n);
	} else if (data_len != 2 * len || !gdb_hex_decode(buf, q, len)) {
		reply__set(s, E_INVAL);
		return;
	}
	if (gdb_mem__write(s, addr, buf, (size_t)len) != len)
		reply__set(s, E_FAULT);
	else
		reply__set(s, "OK");
}

/* ---- breakpoints ---- */

static bool sw_bp__insert(struct gdb_stub *s, uint64_t va)
{
	static const uint8_t int3 = 0xcc;
	struct gdb_sw_bp *b;
	uint64_t gpa;
	uint8_t orig;

	if (gdb_bps__sw_find(&s->bps, va))
		return true;
	b = gdb_bps__sw_alloc(&s->bps);
	if (!b)
		return false;
	if (s->phys)
		gpa = va;
	else if (!gdb_mem__translate(s, va, &gpa, NULL))
		return false;
	if (!s->t.read_phys(s->t.ctx, gpa, &orig, 1) ||
	    !s->t.write_phys(s->t.ctx, gpa, &int3, 1))
		return false;
	*b = (struct gdb_sw_bp){ true, va, gpa, orig };
	return true;
}

static bool sw_bp__remove(struct gdb_stub *s, uint64_t va)
{
	struct gdb_sw_bp *b = gdb_bps__sw_find(&s->bps, va);

	if (!b)
		return false;
	b->used = false;
	return s->t.write_phys(s->t.ctx, b->gpa, &b->orig, 1);
}

/* Z/z TYPE,ADDR,KIND */
static void cmd__breakpoint(struct gdb_stub *s, const char *p, bool insert)
{
	uint64_t type, addr, kind;
	bool ok;

	p++;
	if (!gdb_parse_hex(&p, &type) || *p++ != ',' ||
	    !addr_len__parse(&p, &addr, &kind) || (*p && *p != ';')) {
		reply__set(s, E_INVAL);
		return;
	}
	if (type > GDB_WP_ACCESS) {
		reply__set(s, "%s", "");	/* unsupported type */
		return;
	}
	if (type == GDB_BP_SW)
		ok = insert ? sw_bp__insert(s, addr) : sw_bp__remove(s, addr);
	else if (insert)
		ok = gdb_bps__hw_insert(&s->bps, type, addr, kind) == 0;
	else
		ok = gdb_bps__hw_remove(&s->bps, type, addr, kind) == 0;
	reply__set(s, ok ? "OK" : E_INVAL);
}

/* ---- queries ---- */

static void cmd__thread_list(struct gdb_stub *s)
{
	size_t o = 0;

	s->reply[o++] = 'm';
	for (unsigned i = 0; i < s->t.ncpus && o + 12 < sizeof(s->reply);
	     i++)
		o += (size_t)snprintf(s->reply + o, sizeof(s->reply) - o,
				      i ? ",%x" : "%x", i + 1);
	s->reply_len = o;
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void cmd__xfer_features(struct gdb_stub *s, const char *p)
{
	const char *xml = gdb_regs__target_xml();
	size_t xml_len = strlen(xml), used;
	uint64_t off, len;

	if (strncmp(p, "target.xml:", 11) != 0) {
		reply__set(s, "E00");
		return;
	}
	p += 11;
	if (!addr_len__parse(&p, &off, &len) || *p) {
		reply__set(s, E_INVAL);
		return;
	}
	if (off >= xml_len) {
		reply__set(s, "l");
		return;
	}
	if (len > sizeof(s->reply) - 2)
		len = sizeof(s->reply) - 2;
	if (len > xml_len - off)
		len = xml_len - off;
	s->reply_len = 1 + gdb_escape(s->reply + 1, (size_t)len,
				      (const uint8_t *)xml + off, (size_t)len,
				      &used);
	s->reply[0] = off + used < xml_len ? 'm' : 'l';
}

static void cmd__monitor(struct gdb_stub *s, const char *hex)
{
	char cmd[256];
	size_t n = strlen(hex);

	if (n % 2 || n / 2 >= sizeof(cmd) ||
	    !gdb_hex_decode((uint8_t *)cmd, hex, n / 2)) {
		reply__set(s, E_INVAL);
		return;
	}
	cmd[n / 2] = '\0';
	gdb_monitor__run(s, cmd);
}

static void cmd__query(struct gdb_stub *s, const char *p)
{
	uint64_t tid;

	if (!strncmp(p, "qSupported", 10))
		reply__set(s, "PacketSize=%x;qXfer:features:read+;"
			   "QStartNoAckMode+;swbreak+;hwbreak+;"
			   "vContSupported+", GDB_PACKET_MAX);
	else if (!strncmp(p, "qXfer:features:read:", 20))
		cmd__xfer_features(s, p + 20);
	else if (!strcmp(p, "qAttached"))
		reply__set(s, "1");
	else if (!strcmp(p, "qC"))
		reply__set(s, "QC%x", s->g_cpu + 1);
	else if (!strcmp(p, "qfThreadInfo"))
		cmd__thread_list(s);
	else if (!strcmp(p, "qsThreadInfo"))
		reply__set(s, "l");
	else if (!strncmp(p, "qThreadExtraInfo,", 17)) {
		char text[32];
		int n;

		p += 17;
		if (!gdb_parse_hex(&p, &tid) || *p || !tid ||
		    tid > s->t.ncpus) {
			reply__set(s, E_INVAL);
			return;
		}
		n = snprintf(text, sizeof(text), "vCPU %u", (unsigned)tid - 1);
		gdb_hex_encode(s->reply, (const uint8_t *)text, (size_t)n);
		s->reply_len = 2 * (size_t)n;
	} else if (!strncmp(p, "qRcmd,", 6))
		cmd__monitor(s, p + 6);
	else
		reply__set(s, "%s", "");	/* unsupported: empty reply */
}

static void cmd__set_thread(struct gdb_stub *s, const char *p)
{
	char which = p[1];
	int cpu;

	p += 2;
	if ((which != 'g' && which != 'c') || !thread__parse(s, &p, &cpu) ||
	    *p) {
		reply__set(s, E_INVAL);
		return;
	}
	if (which == 'g') {
		if (cpu >= 0)
			s->g_cpu = (unsigned)cpu;
	} else {
		s->c_all = cpu < 0;
		if (cpu >= 0)
			s->c_cpu = (unsigned)cpu;
	}
	reply__set(s, "OK");
}

static void cmd__thread_alive(struct gdb_stub *s, const char *p)
{
	uint64_t tid;

	p++;
	reply__set(s, gdb_parse_hex(&p, &tid) && !*p && tid &&
		      tid <= s->t.ncpus ? "OK" : "E01");
}

/* Handles one verified packet; leaves the reply, if any, in s->reply and
 * returns false when no reply is to be sent (resume, kill). */
static bool stub__dispatch(struct gdb_stub *s, char *p, size_t len)
{
	s->reply_len = 0;
	switch (p[0]) {
	case '?':
		stop__reply(s);
		break;
	case 'g':
		cmd__read_regs(s);
		break;
	case 'G':
		cmd__write_regs(s, p + 1, len - 1);
		break;
	case 'p':
		cmd__read_reg(s, p + 1);
		break;
	case 'P':
		cmd__write_reg(s, p + 1, len - 1);
		break;
	case 'm':
		cmd__read_mem(s, p + 1);
		break;
	case 'M':
		cmd__write_mem(s, p + 1, len - 1, false);
		break;
	case 'X':
		cmd__write_mem(s, p + 1, len - 1, true);
		break;
	case 'Z':
	case 'z':
		cmd__breakpoint(s, p, p[0] == 'Z');
		break;
	case 'H':
		cmd__set_thread(s, p);
		break;
	case 'T':
		cmd__thread_alive(s, p);
		break;
	case 'c':
	case 'C':
	case 's':
	case 'S':
		cmd__resume(s, p, p[0] == 's' || p[0] == 'S');
		return s->state != GDB_RUNNING;
	case 'D':
		reply__set(s, "OK");
		stub__send_packet(s, s->reply, s->reply_len);
		gdb_stub__detach(s);
		return false;
	case 'k':
		s->state = GDB_DETACHED;
		s->t.kill(s->t.ctx);
		return false;
	case 'q':
		cmd__query(s, p);
		break;
	case 'Q':
		if (!strcmp(p, "QStartNoAckMode")) {
			reply__set(s, "OK");
			stub__send_packet(s, s->reply, s->reply_len);
			s->noack = true;	/* after acking this one */
			return false;
		}
		break;
	case 'v':
		if (!strcmp(p, "vCont?"))
			reply__set(s, "vCont;c;C;s;S");
		else if (!strncmp(p, "vCont", 5) && p[5] != '?') {
			cmd__vcont(s, p + 5);
			return s->state != GDB_RUNNING;
		}
		break;
	default:
		break;			/* unknown: empty reply */
	}
	return true;
}

static void stub__packet(struct gdb_stub *s)
{
	if (!s->noack)
		s->t.send(s->t.ctx, "+", 1);
	if (s->state != GDB_STOPPED || s->rx.len == 0) {
		/* All-stop: gdb sends nothing but Ctrl-C while running. */
		stub__send_packet(s, E_INVAL, 3);
		return;
	}
	if (stub__dispatch(s, s->rx.buf, s->rx.len))
		stub__send_packet(s, s->reply, s->reply_len);
}

void gdb_stub__input(struct gdb_stub *s, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len && s->state != GDB_DETACHED; i++) {
		switch (gdb_rx__feed(&s->rx, buf[i])) {
		case GDB_RX_PACKET:
			stub__packet(s);
			break;
		case GDB_RX_BAD_CHECKSUM:
			if (!s->noack)
				s->t.send(s->t.ctx, "-", 1);
			break;
		case GDB_RX_OVERFLOW:
			if (!s->noack)
				s->t.send(s->t.ctx, "+", 1);
			stub__send_packet(s, "E01", 3);
			break;
		case GDB_RX_NACK:
			if (!s->noack && s->last_frame_len)
				s->t.send(s->t.ctx, s->last_frame,
					  s->last_frame_len);
			break;
		case GDB_RX_INTERRUPT:
			if (s->state == GDB_RUNNING)
				s->t.interrupt(s->t.ctx);
			break;
		default:
			break;
		}
	}
}
