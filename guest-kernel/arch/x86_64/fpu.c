/* Lazy FPU/SSE switching with FXSAVE: the registers stay with their owner
 * until another thread touches them; CR0.TS makes that touch trap (#NM).
 * The kernel itself never uses FPU/SSE registers (-mgeneral-regs-only). */
#include "kernel.h"

static uint8_t fpu_initial[512] __attribute__((aligned(16)));

void fpu_set_ts(bool ts)
{
	struct cpu *c = this_cpu();
	if (c->ts == ts)
		return;
	c->ts = ts;
	if (ts)
		write_cr0(read_cr0() | CR0_TS);
	else
		clts();
}

void fpu_init(void)
{
	clts();
	__asm__ volatile("fninit");
	uint32_t mxcsr = 0x1f80;
	__asm__ volatile("ldmxcsr %0" :: "m"(mxcsr));
	fxsave(fpu_initial);
	fpu_set_ts(true);
}

void fpu_trap(void)
{
	struct cpu *c = this_cpu();
	struct tcb *t = c->current;
	fpu_set_ts(false);
	if (c->fpu_owner == t)
		return;
	if (c->fpu_owner)
		fxsave(c->fpu_owner->fpu);
	if (feat.fxsave_leak) {
		/* FXRSTOR without a pending exception leaves the previous owner's
		 * FIP/FDP/FOP; an x87 load from a kernel address overwrites them */
		static const uint32_t zero;
		__asm__ volatile("fnclex\n\temms\n\tfildl %0" :: "m"(zero));
	}
	fxrstor(t->fpu_valid ? t->fpu : fpu_initial);
	t->fpu_valid = true;
	c->fpu_owner = t;
}

/* t is going away: its registers must not be saved into a reused TCB. */
void fpu_release(struct tcb *t)
{
	t->fpu_valid = false;
	if (this_cpu()->fpu_owner == t) {
		this_cpu()->fpu_owner = NULL;
		fpu_set_ts(true);
	}
}
