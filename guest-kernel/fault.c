/* User-mode faults become IPC. A page fault is a call to the thread's pager
 * carrying the fault address with the access bits and the ip; the pager's
 * reply maps the page and the thread retries. Other exceptions are a call
 * to the thread's exception handler, or its pager if it has none (MR1
 * vector, MR2 error, MR3 ip, MR4 sp); a reply with two words sets ip and sp
 * and resumes, anything else ends the thread. A thread whose fault cannot
 * be handled is killed. */
#include "kernel.h"

/* The kernel pool ran out while resolving t's fault: t retries the access
 * after the others have run (one of them may release memory). */
static void wait_for_memory(struct tcb *t, uint64_t addr)
{
	static uint64_t reported;
	if (ticks - reported >= 1000) {
		kprintf("page fault at %lx (thread %lx) waits for kernel memory\n", addr, t->tid);
		reported = ticks;
	}
	sched_yield_to(NULL);
}

void fault_page(struct trapframe *f, uint64_t addr)
{
	struct tcb *t = current();
	if (t->space->sigma0) {
		if (mapdb_sigma0_fault(t->space, addr) == L4_ENOMEM)
			wait_for_memory(t, addr);
		return;
	}
	if (t->pager == L4_NILTHREAD) {
		thread_kill(t, "page fault without a pager");
		return;
	}
	unsigned access = (f->error & 2) ? L4_W : (f->error & 16) ? L4_X : L4_R;
	t->kmr[0] = L4_TAG(L4_LABEL_PAGEFAULT, 2, 0);
	t->kmr[1] = (addr & ~7ull) | access;
	t->kmr[2] = f->rip;
	int err = ipc_kernel_call(t, t->pager);
	if (err == L4_ECANCELED)
		return;                      /* redirected by exregs: resume there */
	if (err == (L4_ENOMEM | L4_E_RECV)) {
		wait_for_memory(t, addr);
		return;
	}
	if (err) {
		kprintf("page fault at %lx (ip %lx): pager %lx error %d\n", addr, f->rip, t->pager, err);
		thread_kill(t, "page fault IPC failed");
		return;
	}
	uint64_t *pte = pte_walk(t->space, addr, false);
	uint64_t need = PTE_P | PTE_U | ((access & L4_W) ? PTE_W : 0);
	if (!pte || (*pte & need) != need || ((access & L4_X) && (*pte & PTE_NX))) {
		kprintf("page fault at %lx (ip %lx, access %u): pager's reply did not map it\n",
			addr, f->rip, access);
		thread_kill(t, "unresolved page fault");
	}
}

void fault_exception(struct trapframe *f)
{
	struct tcb *t = current();
	uint64_t handler = t->exc_handler ? t->exc_handler : t->pager;
	if (handler == L4_NILTHREAD) {
		kprintf("exception %lu at ip %lx\n", f->vector, f->rip);
		thread_kill(t, "exception without a handler");
		return;
	}
	t->kmr[0] = L4_TAG(L4_LABEL_EXCEPTION, 4, 0);
	t->kmr[1] = f->vector;
	t->kmr[2] = f->error;
	t->kmr[3] = f->rip;
	t->kmr[4] = f->rsp;
	int err = ipc_kernel_call(t, handler);
	if (err == L4_ECANCELED)
		return;                      /* redirected by exregs: resume there */
	if (err || L4_TAG_U(t->kmr[0]) < 2 || !USER_IP_OK(t->kmr[1]) || !USER_IP_OK(t->kmr[2])) {
		kprintf("exception %lu at ip %lx not resolved\n", f->vector, f->rip);
		thread_kill(t, "exception not handled");
		return;
	}
	f->rip = t->kmr[1];
	f->rsp = t->kmr[2];
}
