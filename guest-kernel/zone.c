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

/* Enters entry rdi of the caller's space with its PKRU and stack; the
 * caller's ip, sp, PKRU and the registers a function call preserves wait
 * in its TCB for the zone's return (so a zone cannot change them, even
 * when its call ends by a fault). */
int zone_call(struct tcb *self, struct trapframe *f)
{
	struct space *s = self->space;
	uint64_t n = f->rdi;
	if (!s->zoned || n == 0 || n >= L4_ZONE_ENTRIES || !s->zone[n].ip || self->zdepth >= L4_ZONE_DEPTH)
		return L4_EINVAL;
	self->zret[self->zdepth++] = (struct zone_frame){ f->rip, f->rsp, f->rbx, f->rbp, f->r12, f->r13,
							  f->r14, f->r15, rdpkru() };
	wrpkru(s->zone[n].pkru);
	f->rip = s->zone[n].ip;
	f->rsp = s->zone[n].sp;
	f->rdi = f->rsi;
	f->rsi = f->rdx;
	f->rdx = f->r8;
	return L4_OK;
}

/* Back to the innermost zone call's caller with rdi = the result. */
int zone_return(struct tcb *self, struct trapframe *f)
{
	if (self->zdepth == 0)
		return L4_EINVAL;
	struct zone_frame *z = &self->zret[--self->zdepth];
	wrpkru(z->pkru);
	f->rip = z->ip;
	f->rsp = z->sp;
	f->rbx = z->rbx;
	f->rbp = z->rbp;
	f->r12 = z->r12;
	f->r13 = z->r13;
	f->r14 = z->r14;
	f->r15 = z->r15;
	return L4_OK;
}
