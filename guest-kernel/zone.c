/* Zones: protection domains inside one address space (docs/zones.md).
 * With PKU every user page carries a 4-bit key (its mapping's, from the
 * map item that made it) and PKRU says, per key, whether the running
 * thread may read and write it. A space's zones are its pager's policy:
 * it gives each zone's pages their key and registers here the PKRU each
 * zone runs with and its entry points. A kernel zone call switches PKRU
 * and enters an entry, and its return switches back: no CR3 write, no
 * thread switch, the same thread on another stack. */
#include "kernel.h"

/* Registers entry rsi of the space of thread rdi: ip rdx, PKRU r8, stack
 * r9 (entry 0: the PKRU the space's threads start with, and take now). */
int zone_control(struct tcb *self, struct trapframe *f)
{
	struct tcb *t = thread_lookup(f->rdi);
	uint64_t n = f->rsi, ip = f->rdx, sp = f->r9;
	if (!self->space->privileged)
		return L4_EPERM;
	if (!feat.pku || !t || t->space == self->space || !space_controls(self->space, t->space) ||
	    n >= L4_ZONE_ENTRIES || f->r8 > 0xffffffffull)
		return L4_EINVAL;
	if (n && (!ip || !USER_IP_OK(ip) || !USER_IP_OK(sp)))
		return L4_EINVAL;
	struct space *s = t->space;
	s->zoned = true;
	s->zone[n] = (struct zone_entry){ n ? ip : 0, n ? sp : 0, (uint32_t)f->r8 };
	if (n == 0)
		for (unsigned i = 0; i < MAX_THREADS; i++)
			if (tcbs[i].state != T_FREE && tcbs[i].space == s)
				tcbs[i].pkru = (uint32_t)f->r8;
	return L4_OK;
}

/* The zone call and its return are leaves in entry.S (zone_call_leaf,
 * zone_return_leaf): the call checks the caller's space is zoned, the entry
 * registered and the depth below L4_ZONE_DEPTH, saves the caller's ip, sp,
 * rbx, rbp, r12..r15 and PKRU in tcb.zret, loads the entry's PKRU and
 * continues at its ip and sp with rdi, rsi, rdx = rsi, rdx, r8; the return
 * restores the innermost saved state (rdi: the result). Whatever they
 * refuse comes to the general path: L4_EINVAL. These are their layouts. */
#define LEAF_LAYOUT(what, value) _Static_assert(what == value, #what " (entry.S)")
LEAF_LAYOUT(offsetof(struct cpu, current), 24);
LEAF_LAYOUT(offsetof(struct tcb, space), 16);
LEAF_LAYOUT(offsetof(struct tcb, zdepth), 108);
LEAF_LAYOUT(offsetof(struct tcb, zret), 112);
LEAF_LAYOUT(offsetof(struct space, zoned), 80);
LEAF_LAYOUT(offsetof(struct space, zone), 88);
LEAF_LAYOUT(sizeof(struct zone_entry), 24);
LEAF_LAYOUT(offsetof(struct zone_entry, pkru), 16);
LEAF_LAYOUT(sizeof(struct zone_frame), 72);
LEAF_LAYOUT(offsetof(struct zone_frame, pkru), 64);
LEAF_LAYOUT(offsetof(struct zone_frame, r15), 56);
_Static_assert(L4_SYS_ZONE_CALL == 11 && L4_SYS_ZONE_RETURN == 12 && L4_ZONE_ENTRIES == 16 &&
	       L4_ZONE_DEPTH == 4, "entry.S's zone constants");
