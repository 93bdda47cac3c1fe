/* Zones (docs/zones.md, mkvm/zone.h): protection keys inside one space.
 * zonedemo and the key-value library in two zones, kvserver as the same
 * library in a space of its own, zonebad whose code writes PKRU. */
#include <mkvm/zone.h>
#include "suite.h"
#include "../kv/kv.h"

#define U(x) ((uint64_t)(x))

static void sleep_us(uint64_t us) { l4_receive(l4_myself(), (uint32_t)us, NULL); }

static bool have_pku(void)
{
	if (l4_kinfo() & L4_KINFO_PKU)
		return true;
	test_skip("no PKU on this CPU (the kernel said so at boot): zones unavailable");
	return false;
}

/* Runs name with arg and waits for it to end (program_ends' results). */
static bool run_to_end(const char *name, const char *arg, int *status, uint64_t *why, uint64_t *addr)
{
	int ends = program_ends(name, status, why, addr);
	if (ends < 0 || program_run(name, arg))
		return false;
	for (uint64_t t0 = l4_clock_us(); l4_clock_us() - t0 < SERVER_TIMEOUT_US; sleep_us(1000))
		if (program_ends(name, status, why, addr) > ends)
			return true;
	return false;
}

static uint64_t kvserver(void)
{
	uint64_t srv = name_lookup("kvserver", 0);
	if (!srv && !program_run("kvserver", ""))
		srv = name_lookup("kvserver", SERVER_TIMEOUT_US);
	return srv;
}

static uint32_t rdpkru(void)
{
	uint32_t v, d;
	__asm__ volatile("rdpkru" : "=a"(v), "=d"(d) : "c"(0));
	return v;
}
static void wrpkru(uint32_t v) { __asm__ volatile("wrpkru" :: "a"(v), "c"(0), "d"(0) : "memory"); }

/* A PKRU one thread writes is its own: a thread of another space runs with
 * its own, and the writer gets its value back after the switches. */
void t_zone_pkru_per_thread(void)
{
	if (!have_pku())
		return;
	uint64_t srv = kvserver(), mr[4] = { L4_TAG(KV_PKRU, 0, 0), 0, 0, 0 };
	EXPECT(srv, "kvserver does not run");
	uint32_t mine = 3u << 14;               /* key 7: no page of ours has it */
	wrpkru(mine);
	int err = l4_ipc_regs(srv, srv, L4_TIMEOUTS(L4_NEVER, L4_NEVER), mr, NULL);
	uint32_t after = rdpkru();
	wrpkru(0);
	EXPECT(!err, "call to kvserver: %d", err);
	EXPECT(mr[1] == 0, "kvserver ran with PKRU %lx, which another space wrote", mr[1]);
	EXPECT(after == mine, "our PKRU came back as %x, not %x", after, mine);
}

/* The zone system calls refuse whatever they were not given. */
void t_zone_syscalls(void)
{
	int err;
	uint64_t srv = kvserver();
	l4_zone_call(1, 0, 0, 0, &err);
	EXPECT(err == L4_EINVAL, "zone call in a space without zones: %d", err);
	err = (int)l4_syscall(L4_SYS_ZONE_RETURN, 0, 0, 0, 0, NULL, NULL);
	EXPECT(err == L4_EINVAL, "zone return without a call: %d", err);
	err = l4_zone_control(l4_utcb()->tid, 0, 0, 0, 0);
	EXPECT(err == L4_EINVAL, "zones for the caller's own space: %d", err);
	err = l4_zone_control(srv, 1, MKVM_PROG_BASE, 0, MKVM_PROG_STACK_TOP);
	EXPECT(err == L4_EINVAL, "zones for a space the test suite does not control: %d", err);
	err = l4_zone_control(L4_ROOT_TID, 1, MKVM_PROG_BASE, 0, MKVM_PROG_STACK_TOP);
	EXPECT(err == L4_EINVAL, "zones for the root task: %d", err);
}

/* zonedemo (call gates) and zonedemo-kernel (kernel zone calls): calls
 * with plain pointers; the library's faulty calls fault, fail alone, and
 * the program goes on. */
void t_zone_demo(void)
{
	static const char *const name[] = { "zonedemo", "zonedemo-kernel" };
	int status;
	uint64_t why, addr;
	if (!have_pku())
		return;
	for (int i = 0; i < 2; i++) {
		EXPECT(run_to_end(name[i], "", &status, &why, &addr), "%s did not end", name[i]);
		EXPECT(why == MKVM_END_EXIT && status == 0, "%s ended how %lu (at %lx), status %x", name[i], why,
		       addr, status);
	}
}

/* zonedemo started with arg must end by exception vector. */
static void zonedemo_ends_by(const char *arg, uint64_t vector)
{
	int status;
	uint64_t why, addr;
	if (!have_pku())
		return;
	EXPECT(run_to_end("zonedemo", arg, &status, &why, &addr), "zonedemo did not end");
	EXPECT(why == MKVM_END_EXCEPTION && addr == vector, "zonedemo ended how %lu (vector %lu), status %d",
	       why, addr, status);
}

/* zone 0 writing into the library's table faults, and ends the program. */
void t_zone_app_write(void)
{
	zonedemo_ends_by("wild", 14);
}

/* A zone entering a call gate from inside a gate call (a callback) is
 * refused: the gate's check of the call in flight traps (ud2, vector 6),
 * before it would have recorded the zone's return address. */
void t_zone_gate_reentry(void)
{
	zonedemo_ends_by("reenter", 6);
}

/* Code that writes PKRU is never mapped into a zone program: WRPKRU inside
 * a page, and one split over two pages. */
void t_zone_code_check(void)
{
	int status;
	uint64_t why, plain, straddle;
	if (!have_pku())
		return;
	EXPECT(run_to_end("zonebad", "plain", &status, &why, &plain), "zonebad did not end");
	EXPECT(why == MKVM_END_ZONE_CODE, "zonebad plain ended how %lu at %lx", why, plain);
	EXPECT(run_to_end("zonebad", "straddle", &status, &why, &straddle), "zonebad did not end");
	/* the address has the access in its low bits (L4_X) */
	EXPECT(why == MKVM_END_ZONE_CODE && (straddle & 0xff8) == 0xff8 && straddle >> 12 != plain >> 12,
	       "zonebad straddle ended how %lu at %lx (plain at %lx)", why, straddle, plain);
}
