/* The description of the kernel's tables that debuggers read
 * (shared/mkvm/kdebug.h), and the one function a debugger may break on to
 * learn of a newly named thread. */
#include <mkvm/kdebug.h>
#include "kernel.h"

extern struct space spaces[MAX_THREADS];

/* used: nothing in the kernel references it; the debugger finds it by name
 * (mkvm reads the symbol from the kernel ELF) */
__attribute__((used)) const struct mkvm_kdebug mkvm_kdebug_desc = {
	.magic = MKVM_KDEBUG_MAGIC,
	.version = MKVM_KDEBUG_VERSION,
	.size = sizeof(struct mkvm_kdebug),
	.threads = (uint64_t)tcbs,
	.spaces = (uint64_t)spaces,
	.nthreads = MAX_THREADS,
	.thread_stride = sizeof(struct tcb),
	.nspaces = MAX_THREADS,
	.space_stride = sizeof(struct space),
	.tcb_id = offsetof(struct tcb, tid),
	.tcb_state = offsetof(struct tcb, state),
	.tcb_space = offsetof(struct tcb, space),
	.tcb_prio = offsetof(struct tcb, prio),
	.tcb_name = offsetof(struct tcb, name),
	.space_cr3 = offsetof(struct space, pml4_phys),
	.space_pcid = offsetof(struct space, pcid),
	.tcb_frame = offsetof(struct tcb, frame),
	.tcb_fs_base = offsetof(struct tcb, fs_base),
	.tcb_gs_base = offsetof(struct tcb, gs_base),
	.reserved = MKVM_KDEBUG_NONE,
	.current = (uint64_t)&cpu0.current,
};

/* Called with a thread that has just been given its name, before it first
 * runs: a debugger breaks here (mkvm's gdb stub) to show the thread's
 * program from its first instruction. Does nothing: a one-byte nop, which
 * a debugger may replace with an int3 and step past by moving the
 * instruction pointer on, and a ret. Where an int3 there reaches this
 * kernel instead of the debugger, trap_dispatch resumes after it. */
__asm__(".text\n"
	".globl mkvm_kdebug_named\n"
	".type mkvm_kdebug_named, @function\n"
	"mkvm_kdebug_named:\n"
	"\tnop\n"
	"\tret\n"
	".size mkvm_kdebug_named, . - mkvm_kdebug_named\n");

/* How many such int3s the kernel has resumed after (a debugger reads it). */
unsigned long kdebug_bp_passed;

#define SAME_FIELD(f) (offsetof(struct trapframe, f) == offsetof(struct mkvm_kdebug_frame, f))
_Static_assert(sizeof(struct trapframe) == sizeof(struct mkvm_kdebug_frame) && SAME_FIELD(r15) &&
	       SAME_FIELD(r8) && SAME_FIELD(rax) && SAME_FIELD(vector) && SAME_FIELD(rip) &&
	       SAME_FIELD(rflags) && SAME_FIELD(ss), "kdebug v2: the frame is the trapframe");
_Static_assert(sizeof(((struct tcb *)0)->frame) == 8 && sizeof(((struct tcb *)0)->fs_base) == 8,
	       "kdebug v2: frame pointer and bases are u64");

_Static_assert(sizeof(((struct tcb *)0)->tid) == 8, "kdebug v1: id is u64");
_Static_assert(sizeof(enum thread_state) == 4, "kdebug v1: state is u32");
_Static_assert(sizeof(((struct tcb *)0)->prio) == 1, "kdebug v1: prio is u8");
_Static_assert(sizeof(((struct tcb *)0)->name) == MKVM_KDEBUG_NAME, "kdebug v1: name is 16 bytes");
_Static_assert(sizeof(((struct space *)0)->pml4_phys) == 8, "kdebug v1: cr3 is u64");
_Static_assert(sizeof(((struct space *)0)->pcid) == 2, "kdebug v1: pcid is u16");
_Static_assert((int)T_FREE == MKVM_KDEBUG_T_FREE && (int)T_READY == MKVM_KDEBUG_T_READY &&
	       (int)T_SEND_WAIT == MKVM_KDEBUG_T_SEND_WAIT &&
	       (int)T_RECV_WAIT == MKVM_KDEBUG_T_RECV_WAIT && (int)T_DEAD == MKVM_KDEBUG_T_DEAD,
	       "kdebug v1: thread states");
