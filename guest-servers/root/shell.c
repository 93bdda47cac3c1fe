/* The console shell: with "shell" on the kernel command line the root task
 * starts the driver servers it finds devices for, then the shell as the
 * first thread of a space of its own, and serves the shell's questions
 * about the system (shell_run() never returns).
 *
 * The shell reads lines from the virtio console (shared/mkvm/console.h)
 * and echoes what it reads, so a terminal in raw mode shows the typing.
 * Without a virtio console it says so and falls back to COM1 through a
 * serial server thread in the root task that speaks the same protocol
 * (polled, 10 ms). Commands: help; threads and spaces (from the root task,
 * which knows what it started); blk read/write/flush; net send/recv; rand
 * N; bench; exit. A bad command or argument gets a one-line
 * message and the shell goes on. */
#include <mkvm/blk.h>
#include <mkvm/console.h>
#include <mkvm/net.h>
#include <mkvm/rng.h>
#include <mkvm/testexit.h>
#include <mkvm/virtio.h>
#include "root.h"

/* the shell -> root task protocol (this file only) */
#define SH_HELLO   0x860    /* reply: MR1 console, MR2 rng, MR3 blk, MR4 console kind,
                               MR5 pager, MR6 net, MR7 PCI bus server */
#define SH_THREADS 0x861    /* reply: MR1 n, MR2.. n (thread, space) pairs */
#define SH_BENCH   0x862    /* runs bench_run(); replies when done */
#define SH_EXIT    0x863    /* isa-debug-exit with MKVM_TEST_PASS; no reply */
#define KIND_VIRTIO 1
#define KIND_COM1   2

#define SH_BUF ANON_BASE    /* the shell's blk buffer page: a fresh page */
#define SH_NETBUF (ANON_BASE + 0x1000)      /* and its net buffer page */
#define NET_TYPE 0x88b5     /* IEEE local experimental EtherType */

struct sys {
	uint64_t root, con, rng, blk, kind, pager, net, bus;
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
	mr[0] = L4_TAG(MKVM_CONSOLE_WRITE, 1 + (on + 7) / 8, 0);
	mr[1] = on;
	memcpy(&mr[2], obuf, on);
	if (l4_ipc(out_con, out_con, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL) ||
	    L4_TAG_LABEL(mr[0]) != MKVM_CONSOLE_OK)
		printf("shell: console write failed (label %lx)\n", L4_TAG_LABEL(mr[0]));
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

static void out_num(uint64_t v, unsigned base, int width)
{
	char t[24];
	int n = 0;
	do {
		t[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n < width)
		t[n++] = '0';
	while (n)
		out_ch(t[--n]);
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
			mr[0] = L4_TAG(MKVM_CONSOLE_READ, 2, 0);
			mr[1] = sizeof(in);
			mr[2] = MKVM_CONSOLE_FOREVER;
			if (l4_ipc(s->con, s->con, L4_TIMEOUTS(SERVER_TIMEOUT_US, L4_NEVER), NULL) ||
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

static uint64_t root_call(struct sys *s, uint64_t label)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(label, 0, 0);
	return (uint64_t)l4_call(s->root);
}

/* What the shell knows a thread as. */
static const char *thread_name(struct sys *s, uint64_t tid, uint64_t space)
{
	if (tid == L4_ROOT_TID)
		return "root task";
	if (tid == L4_SIGMA0_TID)
		return "sigma0";
	if (tid == s->pager)
		return "pager of the root's spaces";
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
	if (tid == l4_myself())
		return "shell";
	return space == L4_ROOT_TID ? "root task thread" : "";
}

static void cmd_threads(struct sys *s, bool spaces)
{
	uint64_t *mr = l4_utcb()->mr, pair[2 * 31];
	if (root_call(s, SH_THREADS) || mr[1] > 31) {
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
		mr[0] = L4_TAG(MKVM_RNG_READ, 1, 0);
		mr[1] = n - got;
		if (l4_ipc(s->rng, s->rng, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL) ||
		    L4_TAG_LABEL(mr[0]) != MKVM_RNG_OK || !mr[1] || mr[1] > n - got) {
			out_str(" (the rng server failed)\n");
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
		if (blk_setbuf(s->blk, SH_BUF) || L4_TAG_LABEL(mr[0]) != MKVM_BLK_OK || !mr[1]) {
			out_str("blk: the driver refused the buffer\n");
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
static bool net_call(struct sys *s, uint64_t label, unsigned u, uint64_t w1, uint64_t wait_us)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(label, u, 0);
	mr[1] = w1;
	int err = l4_ipc(s->net, s->net, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US + wait_us), NULL);
	if (!err && L4_TAG_LABEL(mr[0]) == MKVM_NET_OK)
		return true;
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
		mr[0] = L4_TAG(MKVM_NET_SETBUF, 0, 2);
		mr[1] = SH_NETBUF | L4_ITEM_MAP;
		mr[2] = L4_FPAGE(SH_NETBUF, 12, L4_R | L4_W);
		if (l4_ipc(s->net, s->net, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL) ||
		    L4_TAG_LABEL(mr[0]) != MKVM_NET_OK || !net_call(s, MKVM_NET_MAC, 0, 0, 0)) {
			out_str("net: the driver refused the buffer\n");
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
		if (net_call(s, MKVM_NET_SEND, 1, len, 0)) {
			out_str("net: sent ");
			out_num(len, 10, 0);
			out_str(" bytes from ");
			out_mac(f + 6);
			out_ch('\n');
		}
		return;
	}
	if (!net_call(s, MKVM_NET_RECV, 1, 1000000, 1000000))
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
	"  bench                    the kernel microbenchmarks (results on the kernel console)\n"
	"  exit                     power off (isa-debug-exit)\n";

static void shell_main(uint64_t root)
{
	static char line[128];
	uint64_t *mr = l4_utcb()->mr;
	struct sys s = { .root = root };
	if (root_call(&s, SH_HELLO) || !mr[1]) {
		printf("shell: no console to read from; the shell stops\n");
		sleep_forever();
	}
	s.con = out_con = mr[1];
	s.rng = mr[2];
	s.blk = mr[3];
	s.kind = mr[4];
	s.pager = mr[5];
	s.net = mr[6];
	s.bus = mr[7];
	out_str(s.kind == KIND_VIRTIO ? "mkvm shell on the virtio console; type help\n"
				      : "mkvm shell on COM1 (no virtio console); type help\n");
	for (;;) {
		out_str("mkvm> ");
		if (!read_line(&s, line, sizeof(line))) {
			printf("shell: console read failed; the shell stops\n");
			sleep_forever();
		}
		char *p = line, *cmd = next_word(&p);
		if (!cmd)
			continue;
		if (streq(cmd, "help")) {
			out_str(help);
		} else if (streq(cmd, "threads") || streq(cmd, "spaces")) {
			cmd_threads(&s, cmd[0] == 's');
		} else if (streq(cmd, "blk")) {
			cmd_blk(&s, p);
		} else if (streq(cmd, "net")) {
			cmd_net(&s, p);
		} else if (streq(cmd, "rand")) {
			cmd_rand(&s, p);
		} else if (streq(cmd, "bench")) {
			out_str("bench: running (results on the kernel console)\n");
			out_flush();
			out_str(root_call(&s, SH_BENCH) ? "bench: the root task did not answer\n" : "bench: done\n");
		} else if (streq(cmd, "exit")) {
			out_str("bye\n");
			out_flush();
			root_call(&s, SH_EXIT);
		} else {
			out_str("unknown command '");
			out_str(cmd);
			out_str("' (try help)\n");
		}
	}
}

/* ---- the root task's side ---- */

/* COM1 in the console protocol, for a system without a virtio console:
 * polls the line status every 10 ms; output goes to the kernel console,
 * which is COM1. */
static void com1_server(void)
{
	uint64_t *mr = l4_utcb()->mr, from;
	for (;;) {
		if (l4_receive(L4_ANYTHREAD, L4_NEVER, &from))
			continue;
		uint64_t label = L4_TAG_LABEL(mr[0]), n = mr[1];
		if (label == MKVM_CONSOLE_WRITE && n && n <= MKVM_CONSOLE_MAX) {
			char text[MKVM_CONSOLE_MAX + 1];
			memcpy(text, &mr[2], n);
			text[n] = 0;
			kdb_puts(text);
			mr[0] = L4_TAG(MKVM_CONSOLE_OK, 1, 0);
		} else if (label == MKVM_CONSOLE_READ && n && n <= MKVM_CONSOLE_MAX) {
			uint8_t *bytes = (uint8_t *)&mr[2];
			uint64_t got = 0, t0 = l4_clock_us();
			for (;;) {
				uint8_t lsr;
				__asm__ volatile("inb %1, %0" : "=a"(lsr) : "Nd"((uint16_t)0x3fd));
				if (lsr & 1) {
					__asm__ volatile("inb %1, %0" : "=a"(bytes[got]) : "Nd"((uint16_t)0x3f8));
					if (++got < n)
						continue;
				}
				if (got || (mr[2] != MKVM_CONSOLE_FOREVER && l4_clock_us() - t0 >= mr[2]))
					break;
				l4_receive(l4_myself(), 10000, NULL);   /* sleep 10 ms */
			}
			mr[0] = L4_TAG(MKVM_CONSOLE_OK, 1 + (got + 7) / 8, 0);
			mr[1] = got;
		} else {
			mr[0] = L4_TAG(MKVM_CONSOLE_ERROR, 1, 0);
			mr[1] = MKVM_CONSOLE_EINVAL;
		}
		l4_send(from, 0);
	}
}

/* Returns once a driver server has set up its device: each answers a
 * request (this empty one it refuses) only then. So the drivers' set-up
 * lines on COM1 all come before the shell's first output, which under mkvm
 * --console shares COM1's terminal and would otherwise split those lines. */
static void driver_wait(uint64_t srv)
{
	l4_utcb()->mr[0] = L4_TAG(0, 0, 0);
	if (srv)
		l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
}

_Noreturn void shell_run(void)
{
	uint64_t *mr = l4_utcb()->mr, from, con = 0, kind = KIND_VIRTIO, rng = 0, blk = 0, net = 0;
	threads_init();
	if (virtio_present(VIRTIO_ID_CONSOLE)) {
		con = name_lookup("virtio-console", SERVER_TIMEOUT_US);
	} else if (!sigma0_request(L4_IOFPAGE(0x3f8, 3))) {
		kind = KIND_COM1;
		con = thread_new_local(com1_server, 0);
	}
	if (virtio_present(VIRTIO_ID_RNG))
		rng = name_lookup("virtio-rng", SERVER_TIMEOUT_US);
	if (virtio_present(VIRTIO_ID_BLOCK))
		blk = name_lookup("virtio-blk", SERVER_TIMEOUT_US);
	if (virtio_present(VIRTIO_ID_NET))
		net = name_lookup("virtio-net", SERVER_TIMEOUT_US);
	driver_wait(kind == KIND_VIRTIO ? con : 0);
	driver_wait(rng);
	driver_wait(blk);
	driver_wait(net);
	bool can_exit = !sigma0_request(L4_IOFPAGE(MKVM_DEBUG_EXIT_PORT, 2));
	printf("root: shell console: %s\n", !con ? "none" : kind == KIND_VIRTIO ? "virtio-console" : "COM1");
	uint64_t shell = thread_new_space(shell_main, l4_myself());
	if (!shell)
		printf("root: cannot start the shell\n");
	for (;;) {
		if (l4_receive(shell, L4_NEVER, &from))
			continue;
		uint64_t label = L4_TAG_LABEL(mr[0]);
		if (label == SH_HELLO) {
			uint64_t bus = pci_bus();       /* an IPC: before mr[] is filled */
			mr[0] = L4_TAG(0, 7, 0);
			mr[1] = con;
			mr[2] = rng;
			mr[3] = blk;
			mr[4] = kind;
			mr[5] = rpager_tid;
			mr[6] = net;
			mr[7] = bus;
		} else if (label == SH_THREADS) {
			uint64_t tid[31], space[31];
			const char *names[29];
			int n = threads_list(tid, space, 29);
			int np = programs_list(&tid[n], names, 29 - n);
			for (int i = n; i < n + np; i++)
				space[i] = tid[i];
			n += np;
			mr[2] = L4_ROOT_TID, mr[3] = L4_ROOT_TID;
			mr[4] = L4_SIGMA0_TID, mr[5] = L4_SIGMA0_TID;
			for (int i = 0; i < n; i++)
				mr[6 + 2 * i] = tid[i], mr[7 + 2 * i] = space[i];
			mr[0] = L4_TAG(0, 1 + 2 * (2 + n), 0);
			mr[1] = 2 + (uint64_t)n;
		} else if (label == SH_BENCH) {
			bench_run();
			mr[0] = L4_TAG(0, 0, 0);
		} else if (label == SH_EXIT && can_exit) {
			__asm__ volatile("outb %0, %1" :: "a"((uint8_t)MKVM_TEST_PASS), "Nd"((uint16_t)MKVM_DEBUG_EXIT_PORT));
		} else {
			mr[0] = L4_TAG(0, 0, 0);
		}
		l4_send(from, 0);
	}
}
