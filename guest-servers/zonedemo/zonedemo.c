/* The zone demonstration (docs/zones.md): this program and the key-value
 * library (kv/kv.c) in separate zones of one address space. It calls the
 * library with plain pointers, through call gates (boot.cfg zones=gate:
 * zonedemo) or through the kernel (zones=kernel: zonedemo-kernel, the same
 * ELF); the library's faulty call, which writes into this program's
 * data, is stopped by a protection-key fault, reported by the root task,
 * and the program goes on. Its argument picks what it does:
 *   (none)  the demonstration; exits 0, or with the bits of the steps
 *           that went wrong
 *   wild    writes into the library's table: a fault in zone 0, which
 *           ends the program
 *   reenter has the library call a call gate from inside its own call
 *           (a callback): the gate refuses (ud2), which ends the program
 *   bench   prints the cost of a plain call, a zone call (gate or kernel)
 *           and, through gates, an IPC call+reply to kvserver (kv_nop each) */
#include <mkvm/zone.h>
#include "../lib/prog.h"
#include "../kv/kv.h"

enum { E_PUT = 1, E_GET, E_GET_INTO, E_NOP, E_CALLBACK };   /* kv.c's entry table */
typedef uint64_t (*zone_fn)(uint64_t, uint64_t, uint64_t);
#define GATE(e) ((zone_fn)MKVM_ZONE_GATE(e))
#define U(p) ((uint64_t)(p))

static char mine[KV_STR] = "zone 0's own data";

static bool kernel_mode;        /* entries through the kernel, not the gates */

static uint64_t kcall(uint64_t e, uint64_t a, uint64_t b, uint64_t c)
{
	int err;
	uint64_t r = l4_zone_call(e, a, b, c, &err);
	return err ? ~0ull - 1 : r;
}

/* Entry e of the library with three arguments, the way this instance has. */
static uint64_t call(uint64_t e, uint64_t a, uint64_t b, uint64_t c)
{
	return kernel_mode ? kcall(e, a, b, c) : GATE(e)(a, b, c);
}

static int demo(void)
{
	int bad = 0;
	if (call(E_PUT, U("alpha"), U("one"), 0) || call(E_PUT, U("beta"), U("two"), 0))
		bad |= 1;
	const char *a = (const char *)call(E_GET, U("beta"), 0, 0);
	const char *b = (const char *)call(E_GET, U("alpha"), 0, 0);
	if (!a || !b || strcmp(a, "two") || strcmp(b, "one"))
		bad |= 2;
	printf("%s: kv says beta=%s alpha=%s (read in the library's zone)\n", prog_info->name, a ? a : "?",
	       b ? b : "?");
	if (call(E_GET_INTO, U("alpha"), U(mine), 0) != MKVM_ZONE_FAULTED)
		bad |= 4;
	if (call(E_GET_INTO, U("beta"), U(mine), 0) != MKVM_ZONE_FAULTED)
		bad |= 8;
	if (strcmp(mine, "zone 0's own data"))
		bad |= 16;
	printf("%s: the library's writes into zone 0 faulted; zone 0's data still says \"%s\"\n",
	       prog_info->name, mine);
	b = (const char *)call(E_GET, U("alpha"), 0, 0);
	if (!b || strcmp(b, "one") || call(E_NOP, 1, 2, 3) != 6 || call(E_NOP, 4, 5, 6) != 15)
		bad |= 32;
	printf("%s: %s\n", prog_info->name, bad ? "FAILED" : "the library still serves after its faults");
	return bad;
}

static void wild(void)
{
	call(E_PUT, U("gamma"), U("three"), 0);
	char *v = (char *)call(E_GET, U("gamma"), 0, 0);
	printf("zonedemo: writing into the library's table at %lx\n", U(v));
	*(volatile char *)v = 'X';
	printf("zonedemo: the write went through\n");
}

static void reenter(void)
{
	printf("zonedemo: the library calls gate %lx from inside a zone call\n", U(MKVM_ZONE_GATE(E_NOP)));
	uint64_t r = GATE(E_CALLBACK)(MKVM_ZONE_GATE(E_NOP), 1, 0);
	printf("zonedemo: the callback returned %lx\n", r);
}

static __attribute__((noinline)) uint64_t plain_nop(uint64_t a, uint64_t b, uint64_t c) { return a + b + c; }

#define ROUNDS 3
#define OPS 1000

/* The best of ROUNDS rounds of OPS calls, in TSC cycles a call. */
static uint64_t best(int how, uint64_t srv)
{
	uint64_t min = ~0ull, mr[4];
	zone_fn volatile plain = plain_nop;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < OPS; i++) {
			if (how == 0)
				plain(1, 2, 3);
			else if (how == 1)
				GATE(E_NOP)(1, 2, 3);
			else if (how == 2)
				kcall(E_NOP, 1, 2, 3);       /* zone_call, then kv_nop's zone_return */
			else
			{
				mr[0] = L4_TAG(KV_NOP, 3, 0), mr[1] = 1, mr[2] = 2, mr[3] = 3;
				l4_ipc_regs(srv, srv, L4_TIMEOUTS(L4_NEVER, L4_NEVER), mr, NULL);
			}
		}
		uint64_t t = (rdtsc() - t0) / OPS;
		min = t < min ? t : min;
	}
	return min;
}

static void bench(void)
{
	if (kernel_mode) {
		printf("bench: zone-kernel-call %lu cycles/op (kv_nop in zone 1 through the kernel)\n", best(2, 0));
		return;
	}
	uint64_t srv = name_lookup("kvserver", SERVER_TIMEOUT_US);
	printf("bench: zone-plain-call %lu cycles/op (kv_nop in the same zone)\n", best(0, 0));
	printf("bench: zone-gate-call %lu cycles/op (kv_nop in zone 1 through its call gate)\n", best(1, 0));
	if (srv)
		printf("bench: zone-ipc-call-reply %lu cycles/op (kv_nop in kvserver, another space)\n",
		       best(3, srv));
	else
		printf("bench: zone-ipc-call-reply: kvserver not running\n");
}

int main(void)
{
	const char *arg = prog_info->args;
	int err;
	l4_zone_call(E_NOP, 0, 0, 0, &err);      /* L4_EINVAL: no kernel entries, gates */
	kernel_mode = err == L4_OK;
	if (!strcmp(arg, "wild"))
		wild();
	else if (!strcmp(arg, "reenter") && !kernel_mode)
		reenter();
	else if (!strcmp(arg, "bench"))
		bench();
	else
		return demo();
	return 0;
}
