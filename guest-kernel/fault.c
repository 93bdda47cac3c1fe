/* User-mode faults become IPC. A page fault is a call to the thread's pager
 * carrying the fault address with the access bits and the ip; the pager's
 * reply maps the page and the thread retries. Other exceptions, and a page
 * fault the pager's reply did not resolve, are a call to the thread's
 * exception handler, or its pager if it has none, with the thread's whole
 * user register set (shared/mkvm/abi.h, L4_LABEL_EXCEPTION); a reply of
 * two words sets ip and sp, one of L4_EXC_REPLY_WORDS every register, and
 * the thread resumes; anything else ends the thread. */
#include "kernel.h"

/* What a handler may set in RFLAGS: the arithmetic flags, TF (single-step
 * for a debugger), DF, NT, AC and ID. Never IOPL or IF. */
#define USER_RFLAGS 0x244dd5ull

/* The general registers in message order (rsp travels apart). */
static uint64_t *gpr(struct trapframe *f, int i)
{
	uint64_t *r[L4_EXC_GPRS] = { &f->rax, &f->rbx, &f->rcx, &f->rdx, &f->rsi, &f->rdi, &f->rbp,
				     &f->r8, &f->r9, &f->r10, &f->r11, &f->r12, &f->r13, &f->r14, &f->r15 };
	return r[i];
}

/* Calls t's exception handler about f (addr: the page-fault address, else
 * 0); false if nobody resumed the thread. */
static bool exception_ipc(struct tcb *t, struct trapframe *f, uint64_t addr)
{
	uint64_t handler = t->exc_handler ? t->exc_handler : t->pager, *m = t->kmr;
	if (handler == L4_NILTHREAD)
		return false;
	m[0] = L4_TAG(L4_LABEL_EXCEPTION, L4_EXC_WORDS, 0);
	m[1] = f->vector;
	m[2] = f->error;
	m[3] = f->rip;
	m[4] = f->rsp;
	m[5] = f->rflags;
	for (int i = 0; i < L4_EXC_GPRS; i++)
		m[6 + i] = *gpr(f, i);
	m[6 + L4_EXC_GPRS] = addr;
	int err = ipc_kernel_call(t, handler);
	if (err == L4_ECANCELED)
		return true;                 /* redirected by exregs: resume there */
	unsigned u = L4_TAG_U(m[0]);
	if (err || u < 2 || !USER_IP_OK(m[1]) || !USER_IP_OK(m[2]))
		return false;
	f->rip = m[1];
	f->rsp = m[2];
	if (u >= L4_EXC_REPLY_WORDS) {
		f->rflags = (m[3] & USER_RFLAGS) | RFLAGS_IF | 2;
		for (int i = 0; i < L4_EXC_GPRS; i++)
			*gpr(f, i) = m[4 + i];
	}
	return true;
}

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
	if (pte && (*pte & need) == need && !((access & L4_X) && (*pte & PTE_NX)))
		return;
	if (!exception_ipc(t, f, addr)) {
		kprintf("page fault at %lx (ip %lx, access %u): not resolved\n", addr, f->rip, access);
		thread_kill(t, "unresolved page fault");
	}
}

void fault_exception(struct trapframe *f)
{
	struct tcb *t = current();
	if (!exception_ipc(t, f, 0)) {
		kprintf("exception %lu at ip %lx not resolved\n", f->vector, f->rip);
		thread_kill(t, "exception not handled");
	}
}

/* A protection-key fault: the page is mapped, but the thread's PKRU denies
 * the access. It goes to the exception handler as vector 14 with the
 * fault address (the error code has L4_PF_ERROR_PK). */
void fault_protection_key(struct trapframe *f, uint64_t addr)
{
	struct tcb *t = current();
	if (!exception_ipc(t, f, addr)) {
		kprintf("protection-key fault at %lx (ip %lx) not resolved\n", addr, f->rip);
		thread_kill(t, "protection-key fault");
	}
}
