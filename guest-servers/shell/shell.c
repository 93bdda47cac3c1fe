/* The console shell, a program of boot.cfg ("shell" on the kernel command
 * line starts it). It finds the drivers by name, reads lines from the
 * virtio console (shared/mkvm/console.h) and echoes what it reads, so a
 * terminal in raw mode shows the typing. Without a virtio console it says
 * so and uses the COM1 console server (guest-servers/com1), which speaks
 * the same protocol. Commands: help; threads and spaces (from the root
 * task, which knows what it started); blk read/write/flush; net
 * send/recv; rand N; bench; exit. A bad command or argument gets a
 * one-line message and the shell goes on. */
#include <mkvm/blk.h>
#include <mkvm/fmt.h>
#include <mkvm/console.h>
#include <mkvm/net.h>
#include <mkvm/rng.h>
#include <mkvm/testexit.h>
#include <mkvm/virtio.h>
#include "../lib/clients.h"
#include "../lib/prog.h"

#define KIND_VIRTIO 1
#define KIND_COM1   2

#define SH_BUF (prog_info->heap_base)       /* the shell's blk buffer page: a fresh page */
#define SH_NETBUF (prog_info->heap_base + 0x1000)      /* and its net buffer page */
#define NET_TYPE 0x88b5     /* IEEE local experimental EtherType */

struct sys {
	uint64_t con, rng, blk, kind, net, bus, com1;
	bool stale;             /* a server gave an IPC error: look the names up again */
	uint64_t blk_capacity;  /* 0: not set up yet */
	uint64_t mac;           /* the net device's address; 0: not set up yet */
};

/* ---- output: lines built here, written through the console server ---- */

static char obuf[MKVM_CONSOLE_MAX];
static unsigned on;
static uint64_t out_con;

static void out_flush(void)
{
	uint64_t *mr = l4_utcb()->mr;
	if (!on)
		return;
	int err = console_write(out_con, obuf, on);
	if (err || L4_TAG_LABEL(mr[0]) != MKVM_CONSOLE_OK)
		printf("shell: console write failed (IPC error %d, label %lx)\n", err, L4_TAG_LABEL(mr[0]));
	if (err)
		out_con = 0;    /* the console server ended: looked up again before the next line */
	on = 0;
}

static void out_ch(char c)
{
	if (on == sizeof(obuf))
		out_flush();
	obuf[on++] = c;
	if (c == '\n')
		out_flush();
}

static void out_str(const char *s)
{
	while (*s)
		out_ch(*s++);
}

static void out_put(char c, void *unused)
{
	(void)unused;
	out_ch(c);
}

/* v in base, zero-padded to width digits (shared/mkvm/fmt.h). */
static void out_num(uint64_t v, unsigned base, int width)
{
	fmt_num(out_put, NULL, v, base, width, '0', 0);
}

/* ---- input ---- */

/* Reads a line into buf (at most len - 1 bytes, NUL-terminated), echoing
 * it; \r, \n or \r\n ends it, backspace/DEL erase. false: console failed. */
static bool read_line(struct sys *s, char *buf, unsigned len)
{
	static char in[64];
	static unsigned have, at;
	static bool after_cr;
	uint64_t *mr = l4_utcb()->mr;
	unsigned n = 0;
	for (;;) {
		if (at == have) {
			out_flush();
			if (console_read(s->con, sizeof(in), MKVM_CONSOLE_FOREVER) ||
			    L4_TAG_LABEL(mr[0]) != MKVM_CONSOLE_OK || mr[1] > sizeof(in))
				return false;
			have = (unsigned)mr[1];
			at = 0;
			memcpy(in, &mr[2], have);
			continue;
		}
		char c = in[at++];
		bool cr = after_cr;
		after_cr = c == '\r';
		if (c == '\n' && cr)
			continue;               /* the \n of a \r\n */
		if (c == '\r' || c == '\n') {
			out_ch('\n');
			buf[n] = 0;
			return true;
		}
		if (c == 0x7f || c == '\b') {
			if (n) {
				n--;
				out_str("\b \b");
			}
		} else if (c >= ' ' && n + 1 < len) {
			buf[n++] = c;
			out_ch(c);
		}
	}
}

/* ---- words and numbers ---- */

static char *next_word(char **p)
{
	while (**p == ' ')
		(*p)++;
	if (!**p)
		return NULL;
	char *w = *p;
	while (**p && **p != ' ')
		(*p)++;
	if (**p)
		*(*p)++ = 0;
	return w;
}

static bool streq(const char *a, const char *b)
{
	size_t n = strlen(b);
	return strlen(a) == n && !memcmp(a, b, n);
}

/* A decimal or 0x-hex number: true and *v, or false. */
static bool parse_num(const char *w, uint64_t *v)
{
	unsigned base = 10;
	*v = 0;
	if (!w || !*w)
		return false;
	if (w[0] == '0' && w[1] == 'x' && w[2])
		base = 16, w += 2;
	for (; *w; w++) {
		unsigned d;
		if (*w >= '0' && *w <= '9')
			d = (unsigned)(*w - '0');
		else if (base == 16 && *w >= 'a' && *w <= 'f')
			d = (unsigned)(*w - 'a' + 10);
		else
			return false;
		if (*v > (~0ull - d) / base)
			return false;
		*v = *v * base + d;
	}
	return true;
}

/* ---- commands ---- */

/* A request to the root task's main thread (shared/mkvm/root.h, MKVM_SHELL_*). */
static uint64_t root_call(uint64_t label)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(label, 0, 0);
	return (uint64_t)l4_call(L4_ROOT_TID);
}

/* What the shell knows a thread as. */
static const char *thread_name(struct sys *s, uint64_t tid, uint64_t space)
{
	if (tid == L4_ROOT_TID)
		return "root task";
	if (tid == L4_SIGMA0_TID)
		return "sigma0";
	if (tid == s->con)
		return s->kind == KIND_VIRTIO ? "virtio-console driver" : "COM1 console server";
	if (tid == s->rng)
		return "virtio-rng driver";
	if (tid == s->blk)
		return "virtio-blk driver";
	if (tid == s->net)
		return "virtio-net driver";
	if (tid == s->bus)
		return "PCI bus server";
	if (tid == s->com1)
		return "COM1 console server";
	if (tid == l4_myself())
		return "shell";
	return space == L4_ROOT_TID ? "root task thread" : "";
}

static void cmd_threads(struct sys *s, bool spaces)
{
	uint64_t *mr = l4_utcb()->mr, pair[2 * 31];
	if (root_call(MKVM_SHELL_THREADS) || mr[1] > 31) {
		out_str("threads: the root task did not answer\n");
		return;
	}
	uint64_t n = mr[1];
	memcpy(pair, &mr[2], 16 * n);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t tid = pair[2 * i], space = pair[2 * i + 1], count = 0;
		if (spaces && tid != space)
			continue;
		for (uint64_t k = 0; k < n; k++)
			count += pair[2 * k + 1] == space;
		out_str(spaces ? "space " : "thread ");
		out_num(tid, 16, 6);
		if (spaces) {
			out_str("  threads ");
			out_num(count, 10, 0);
		} else {
			out_str("  space ");
			out_num(space, 16, 6);
		}
		out_str("  ");
		out_str(thread_name(s, tid, space));
		out_ch('\n');
	}
}

static void cmd_rand(struct sys *s, char *args)
{
	uint64_t *mr = l4_utcb()->mr, n;
	if (!parse_num(next_word(&args), &n) || !n || n > MKVM_RNG_MAX) {
		out_str("usage: rand N (1..256 bytes)\n");
		return;
	}
	if (!s->rng) {
		out_str("rand: no virtio-rng device\n");
		return;
	}
	out_str("rand:");
	for (uint64_t got = 0; got < n;) {
		int err = rng_read(s->rng, n - got);
		if (err || L4_TAG_LABEL(mr[0]) != MKVM_RNG_OK || !mr[1] || mr[1] > n - got) {
			out_str(" (the rng server failed)\n");
			s->stale |= err != 0;
			return;
		}
		for (uint64_t i = 0; i < mr[1]; i++) {
			out_ch(' ');
			out_num(((uint8_t *)&mr[2])[i], 16, 2);
		}
		got += mr[1];
	}
	out_ch('\n');
}

/* One blk request; true, or false after saying why. */
static bool blk_call(struct sys *s, uint64_t label, uint64_t sector)
{
	uint64_t *mr = l4_utcb()->mr;
	int err = blk_request(s->blk, label, sector, 1);
	if (!err && L4_TAG_LABEL(mr[0]) == MKVM_BLK_OK)
		return true;
	s->stale |= err != 0;
	out_str("blk: the driver answered error ");
	out_num(err ? (uint64_t)err : mr[1], 10, 0);
	out_str(err ? " (IPC)\n" : " (shared/mkvm/blk.h MKVM_BLK_E*)\n");
	return false;
}

static void cmd_blk(struct sys *s, char *args)
{
	uint64_t *mr = l4_utcb()->mr, sector = 0;
	char *op = next_word(&args), *num = next_word(&args);
	bool rd = op && streq(op, "read"), wr = op && streq(op, "write"), fl = op && streq(op, "flush");
	if (!rd && !wr && !fl) {
		out_str("usage: blk read SECTOR | blk write SECTOR TEXT | blk flush\n");
		return;
	}
	if (!s->blk) {
		out_str("blk: no virtio-blk device\n");
		return;
	}
	if (!s->blk_capacity) {
		*(volatile uint8_t *)SH_BUF = 0;        /* the page is ours before it is mapped on */
		int err = blk_setbuf(s->blk, SH_BUF);
		if (err || L4_TAG_LABEL(mr[0]) != MKVM_BLK_OK || !mr[1]) {
			out_str("blk: the driver refused the buffer\n");
			s->stale |= err != 0;
			return;
		}
		s->blk_capacity = mr[1];
	}
	if (fl) {
		if (blk_call(s, MKVM_BLK_FLUSH, 0))
			out_str("blk: flushed\n");
		return;
	}
	if (!parse_num(num, &sector) || sector >= s->blk_capacity) {
		out_str("blk: SECTOR must be a number below ");
		out_num(s->blk_capacity, 10, 0);
		out_ch('\n');
		return;
	}
	uint8_t *buf = (uint8_t *)SH_BUF;
	if (wr) {
		while (*args == ' ')
			args++;
		size_t n = strlen(args);
		memset(buf, 0, VIRTIO_BLK_SECTOR_SIZE);
		memcpy(buf, args, n);
		if (blk_call(s, MKVM_BLK_WRITE, sector)) {
			out_str("blk: wrote ");
			out_num(n, 10, 0);
			out_str(" bytes to sector ");
			out_num(sector, 10, 0);
			out_ch('\n');
		}
		return;
	}
	if (!blk_call(s, MKVM_BLK_READ, sector))
		return;
	out_str("blk: sector ");
	out_num(sector, 10, 0);
	out_str(":");
	for (int i = 0; i < 16; i++) {
		out_ch(' ');
		out_num(buf[i], 16, 2);
	}
	out_str("  |");
	for (int i = 0; i < 16; i++)
		out_ch(buf[i] >= ' ' && buf[i] < 0x7f ? (char)buf[i] : '.');
	out_str("|\n");
}

/* One net request (MR1 = w1); true, or false after saying why. */
static bool net_call(struct sys *s, uint64_t label, uint64_t w1)
{
	uint64_t *mr = l4_utcb()->mr;
	int err = net_request(s->net, label, w1);
	if (!err && L4_TAG_LABEL(mr[0]) == MKVM_NET_OK)
		return true;
	s->stale |= err != 0;
	if (!err && mr[1] == MKVM_NET_ETIMEOUT) {
		out_str("net: no frame came within 1 s\n");
		return false;
	}
	out_str("net: the driver answered error ");
	out_num(err ? (uint64_t)err : mr[1], 10, 0);
	out_str(err ? " (IPC)\n" : " (shared/mkvm/net.h MKVM_NET_E*)\n");
	return false;
}

static void out_mac(const uint8_t *m)
{
	for (int i = 0; i < 6; i++) {
		if (i)
			out_ch(':');
		out_num(m[i], 16, 2);
	}
}

/* net send [TEXT]: a broadcast frame of type NET_TYPE carrying TEXT;
 * net recv: the next frame that comes within 1 s. */
static void cmd_net(struct sys *s, char *args)
{
	uint64_t *mr = l4_utcb()->mr;
	uint8_t *buf = (uint8_t *)SH_NETBUF;
	char *op = next_word(&args);
	bool snd = op && streq(op, "send"), rcv = op && streq(op, "recv");
	if (!snd && !rcv) {
		out_str("usage: net send [TEXT] | net recv\n");
		return;
	}
	if (!s->net) {
		out_str("net: no net driver (no virtio-net device)\n");
		return;
	}
	if (!s->mac) {
		*(volatile uint8_t *)SH_NETBUF = 0;     /* the page is ours before it is mapped on */
		int err = net_setbuf(s->net, SH_NETBUF);
		if (err || L4_TAG_LABEL(mr[0]) != MKVM_NET_OK || !net_call(s, MKVM_NET_MAC, 0)) {
			out_str("net: the driver refused the buffer\n");
			s->stale |= err != 0;
			return;
		}
		s->mac = mr[1] | 1ull << 48;            /* bit 48: known, even if all zero */
	}
	if (snd) {
		uint8_t *f = buf + MKVM_NET_TXBUF;
		while (*args == ' ')
			args++;
		const char *text = *args ? args : "hello from the mkvm shell";
		uint64_t n = strlen(text), len = 14 + n < 60 ? 60 : 14 + n;
		memset(f, 0, len);
		for (int i = 0; i < 6; i++) {
			f[i] = 0xff;
			f[6 + i] = (uint8_t)(s->mac >> 8 * i);
		}
		f[12] = NET_TYPE >> 8;
		f[13] = NET_TYPE & 0xff;
		memcpy(f + 14, text, n);
		if (net_call(s, MKVM_NET_SEND, len)) {
			out_str("net: sent ");
			out_num(len, 10, 0);
			out_str(" bytes from ");
			out_mac(f + 6);
			out_ch('\n');
		}
		return;
	}
	if (!net_call(s, MKVM_NET_RECV, 1000000))
		return;
	uint64_t len = mr[1];
	const uint8_t *f = buf + MKVM_NET_RXBUF;
	if (len < MKVM_NET_MIN || len > MKVM_NET_MAX) {
		out_str("net: the driver reported a frame of bad length\n");
		return;
	}
	out_str("net: received ");
	out_num(len, 10, 0);
	out_str(" bytes from ");
	out_mac(f + 6);
	out_str(" type ");
	out_num((uint64_t)f[12] << 8 | f[13], 16, 4);
	out_str(": |");
	for (uint64_t i = 14; i < len && i < 14 + 48; i++)
		out_ch(f[i] >= ' ' && f[i] < 0x7f ? (char)f[i] : '.');
	out_str("|\n");
}

static const char help[] =
	"commands:\n"
	"  help                     this list\n"
	"  threads                  threads the root task started, with their spaces\n"
	"  spaces                   address spaces and how many of those threads each has\n"
	"  blk read SECTOR          the first 16 bytes of a sector of the virtio-blk disk\n"
	"  blk write SECTOR TEXT    TEXT at the start of the sector, the rest zero\n"
	"  blk flush                earlier writes onto stable storage\n"
	"  net send [TEXT]          a broadcast frame carrying TEXT (virtio-net)\n"
	"  net recv                 the next frame that comes within 1 s\n"
	"  rand N                   N random bytes from virtio-rng (1..256)\n"
	"  crash DRIVER [null]      make a driver program fault (a wild write, or a null\n"
	"                           dereference); the root task starts it again\n"
	"  bench                    the kernel microbenchmarks (results on the kernel console)\n"
	"  exit                     power off (isa-debug-exit)\n";

/* Finds every server by name (waiting while one starts), forgetting what
 * was set up with the earlier instances. */
static void lookup_all(struct sys *s)
{
	s->kind = KIND_VIRTIO;
	s->con = name_lookup("virtio-console", SERVER_TIMEOUT_US);
	if (!s->con) {
		s->con = name_lookup("com1", SERVER_TIMEOUT_US);
		s->kind = KIND_COM1;
	}
	s->rng = name_lookup("virtio-rng", SERVER_TIMEOUT_US);
	s->blk = name_lookup("virtio-blk", SERVER_TIMEOUT_US);
	s->net = name_lookup("virtio-net", SERVER_TIMEOUT_US);
	s->bus = name_lookup("pci-bus", SERVER_TIMEOUT_US);
	s->com1 = name_lookup("com1", SERVER_TIMEOUT_US);
	s->blk_capacity = s->mac = 0;
	s->stale = false;
	out_con = s->con;
}

/* crash DRIVER [null]: the root task has the driver fault on purpose (a
 * wild write, or a null dereference) and starts it again. */
static void cmd_crash(char *args)
{
	uint64_t *mr = l4_utcb()->mr;
	char *name = next_word(&args), *how = next_word(&args);
	if (!name || strlen(name) >= MKVM_NAME_MAX || (how && !streq(how, "null"))) {
		out_str("usage: crash DRIVER [null]\n");
		return;
	}
	out_flush();
	mr[0] = L4_TAG(MKVM_SHELL_CRASH, 4, 0);
	mr[1] = mr[2] = mr[3] = 0;
	memcpy(&mr[1], name, strlen(name));
	mr[4] = how ? MKVM_CRASH_NULL : MKVM_CRASH_WILD;
	if (l4_call(L4_ROOT_TID) || L4_TAG_LABEL(mr[0]) != MKVM_ROOT_OK) {
		out_str("crash: no program serves ");
		out_str(name);
		out_ch('\n');
		return;
	}
	out_str("crash: ");
	out_str(name);
	out_str(" faulted and runs again\n");
}

/* One command line; the words of line are cut up. */
static void command(struct sys *s, char *line)
{
	char *p = line, *cmd = next_word(&p);
	if (!cmd)
		return;
	if (streq(cmd, "help")) {
		out_str(help);
	} else if (streq(cmd, "threads") || streq(cmd, "spaces")) {
		cmd_threads(s, cmd[0] == 's');
	} else if (streq(cmd, "blk")) {
		cmd_blk(s, p);
	} else if (streq(cmd, "net")) {
		cmd_net(s, p);
	} else if (streq(cmd, "rand")) {
		cmd_rand(s, p);
	} else if (streq(cmd, "crash")) {
		cmd_crash(p);
	} else if (streq(cmd, "bench")) {
		out_str("bench: running (results on the kernel console)\n");
		out_flush();
		out_str(root_call(MKVM_SHELL_BENCH) ? "bench: the root task did not answer\n" : "bench: done\n");
	} else if (streq(cmd, "exit")) {
		out_str("bye\n");
		out_flush();
		root_call(MKVM_SHELL_EXIT);
	} else {
		out_str("unknown command '");
		out_str(cmd);
		out_str("' (try help)\n");
	}
}

int main(void)
{
	static char line[128], again[128];
	static struct sys s;
	/* each lookup waits while its program sets up, so their lines on COM1
	 * all come before the shell's first output (which may share the
	 * terminal) */
	lookup_all(&s);
	printf("shell: console: %s\n", !s.con ? "none" : s.kind == KIND_VIRTIO ? "virtio-console" : "COM1");
	if (!s.con)
		return 1;
	out_str(s.kind == KIND_VIRTIO ? "mkvm shell on the virtio console; type help\n"
				      : "mkvm shell on COM1 (no virtio console); type help\n");
	for (;;) {
		if (!out_con)
			lookup_all(&s);
		out_str("mkvm> ");
		if (!read_line(&s, line, sizeof(line))) {
			printf("shell: console read failed; the shell stops\n");
			return 1;
		}
		memcpy(again, line, sizeof(line));
		command(&s, line);
		if (s.stale) {
			/* a server ended under the command: once more, with its new instance */
			out_str("(a server was restarted: trying again)\n");
			lookup_all(&s);
			command(&s, again);
		}
	}
}
