/* A kernel that overflows a kernel stack on purpose (case
 * kernel-kstack-overflow). It is the kernel's own objects plus this file,
 * linked with --wrap=sched_start (guest-kernel/kernel.mk): once the boot
 * tasks exist, kmain's last call lands here instead of in the scheduler,
 * which puts the CPU on sigma0's kernel stack as a switch to sigma0 would
 * and recurses far past the stack's end. With the guard below every kernel
 * stack the first push into it faults and the kernel panics naming the
 * overflow and the thread (trap.c); without one the recursion writes over
 * whatever lies below the stack, and if it comes back this file panics
 * saying so. Never part of the kernel that boots the system. */
#include "kernel.h"

#define FRAME_BYTES 256
#define DEPTH_BYTES (2 * KSTACK_SIZE)  /* the stack and as much again below it */

/* Uses at least FRAME_BYTES of stack per level; the sum keeps every frame
 * live until the deepest call returns (no tail call). */
__attribute__((noinline)) static unsigned recurse(unsigned n)
{
	volatile uint8_t frame[FRAME_BYTES];
	frame[0] = (uint8_t)n;
	frame[FRAME_BYTES - 1] = (uint8_t)n;
	if (n == 0)
		return frame[0];
	return recurse(n - 1) + frame[FRAME_BYTES - 1];
}

static void overflow(void)
{
	kprintf("kstack-overflow: thread %lx recurses through %lu KiB of its %lu KiB kernel stack\n",
		current()->tid, (uint64_t)DEPTH_BYTES >> 10, (uint64_t)KSTACK_SIZE >> 10);
	recurse(DEPTH_BYTES / FRAME_BYTES);
	panic("kstack-overflow: %lu KiB below the end of the kernel stack were written without a fault",
	      (uint64_t)(DEPTH_BYTES - KSTACK_SIZE) >> 10);
}

_Noreturn void __wrap_sched_start(void);
_Noreturn void __wrap_sched_start(void)
{
	struct tcb *t = thread_lookup(L4_SIGMA0_TID);
	uint64_t unused;
	if (!t)
		panic("kstack-overflow: no sigma0 thread");
	cpu0.current = t;
	cpu_set_kstack((uint64_t)t->kstack + KSTACK_SIZE);
	tlb_switch(t->space);
	thread_resume_at(t, overflow);
	switch_context(&unused, t->ksp);
	__builtin_unreachable();
}
