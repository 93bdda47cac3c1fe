/* The key-value library (kv/kv.c) as a server of its own, in its own
 * space: what zonedemo's zone calls are compared with (KV_NOP), and a
 * thread of another space whose PKRU the zone tests read (KV_PKRU). */
#include "../lib/prog.h"
#include "../kv/kv.h"

static uint64_t pkru(void)
{
	uint32_t v, d;
	if (!(l4_kinfo() & L4_KINFO_PKU))
		return 0;
	__asm__ volatile("rdpkru" : "=a"(v), "=d"(d) : "c"(0));
	return v;
}

int main(void)
{
	uint64_t mr[4] = { 0 }, from;
	if (name_register(prog_info->name))
		return 1;
	l4_ipc_regs(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	for (;;) {
		uint64_t label = L4_TAG_LABEL(mr[0]);
		if (label == KV_NOP)
			mr[1] = kv_nop(mr[1], mr[2], mr[3]);
		else if (label == KV_PKRU)
			mr[1] = pkru();
		else
			mr[1] = ~0ull;
		mr[0] = L4_TAG(0, 1, 0);
		l4_ipc_regs(from, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from);
	}
}
