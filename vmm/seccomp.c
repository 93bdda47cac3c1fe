/* Seccomp-BPF allow-lists per thread kind; see seccomp.h. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <mkvm/testexit.h>

#include "seccomp.h"

/* What every thread may do: memory and locks (malloc, pthreads), its
 * fds, messages on stderr, the clock, signals (a vCPU is kicked out of
 * KVM_RUN with SIGUSR1), ending. */
static const int common[] = {
	__NR_read, __NR_write, __NR_readv, __NR_writev, __NR_close,
	__NR_futex, __NR_sched_yield, __NR_exit, __NR_exit_group,
	__NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_restart_syscall,
	__NR_mmap, __NR_munmap, __NR_mprotect, __NR_mremap, __NR_madvise,
	__NR_brk, __NR_clock_gettime, __NR_clock_nanosleep, __NR_nanosleep,
	__NR_gettid, __NR_getpid, __NR_tgkill, __NR_fstat, __NR_newfstatat,
	__NR_lseek, __NR_getrandom,
};

/* The terminal loop: stdin, the stop pipe, the console's eventfd, the
 * terminal restored at the end (tcsetattr) and by its signal handler
 * (which resets the handler and raises the signal again). */
static const int main_calls[] = {
	__NR_poll, __NR_ppoll, __NR_ioctl, __NR_rt_sigaction,
	__NR_getrusage, __NR_mincore,   /* --stats */
};
static const unsigned main_ioctls[] = {
	KVM_IRQ_LINE, TCGETS, TCSETS, TCSETSW, TCSETSF,
};

/* KVM_RUN and the exits' devices: MSI-X table writes route vectors (a
 * vector's first route makes its irqfd), a queue enable or a moved BAR
 * registers ioeventfds, the UART raises its line, a crash dumps the
 * registers. */
static const int vcpu_calls[] = { __NR_ioctl, __NR_eventfd2 };
static const unsigned vcpu_ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_SET_GSI_ROUTING,
	KVM_SIGNAL_MSI, KVM_IRQFD, KVM_IOEVENTFD, KVM_IRQ_LINE,
};

/* A virtio worker: its eventfds and timerfd, the disk image, the net
 * backend, getrandom, interrupts (irqfd writes, or KVM_SIGNAL_MSI). */
static const int worker_calls[] = {
	__NR_poll, __NR_ppoll, __NR_pread64, __NR_pwrite64, __NR_preadv,
	__NR_pwritev, __NR_preadv2, __NR_pwritev2, __NR_fdatasync, __NR_fsync,
	__NR_timerfd_settime, __NR_ioctl,
	/* --user: glibc makes every thread switch ids with the main thread
	 * (the workers run by then); without CAP_SETUID they can only keep
	 * or give up ids. */
	__NR_setresuid, __NR_setresgid, __NR_setgroups,
};
static const unsigned worker_ioctls[] = { KVM_SIGNAL_MSI };

/* The gdb stub: its listening socket and connection, the vCPUs'
 * registers and debug state (taken while they are paused). */
static const int gdb_calls[] = {
	__NR_poll, __NR_ppoll, __NR_accept, __NR_accept4, __NR_sendto,
	__NR_recvfrom, __NR_ioctl,
};
static const unsigned gdb_ioctls[] = {
	KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_GET_MSRS, KVM_SET_MSRS, KVM_GET_FPU, KVM_SET_FPU,
	KVM_SET_GUEST_DEBUG,
};

struct allow {
	const char *name;
	const int *calls;
	int nr_calls;
	const unsigned *ioctls;
	int nr_ioctls;
};

#define LIST(a) (a), (int)(sizeof(a) / sizeof((a)[0]))

static const struct allow allow[SECCOMP_KINDS] = {
	[SECCOMP_MAIN]   = { "main",   LIST(main_calls),   LIST(main_ioctls) },
	[SECCOMP_VCPU]   = { "vcpu",   LIST(vcpu_calls),   LIST(vcpu_ioctls) },
	[SECCOMP_WORKER] = { "worker", LIST(worker_calls), LIST(worker_ioctls) },
	[SECCOMP_GDB]    = { "gdb",    LIST(gdb_calls),    LIST(gdb_ioctls) },
};

static bool enabled;
static int selftest = -1;                /* a kind, or -1 */
static _Thread_local char thread_name[48];

/* ---- the filter ---- */

#define ARG1_LO (offsetof(struct seccomp_data, args) + 8)
#define ARG1_HI (offsetof(struct seccomp_data, args) + 12)

struct builder {
	struct sock_filter *p;
	int n, max;
};

static void emit(struct builder *b, struct sock_filter f)
{
	if (b->n < b->max)
		b->p[b->n] = f;
	b->n++;
}

/* "If A == k, allow": two instructions, so no jump is ever long. */
static void allow_if(struct builder *b, unsigned k)
{
	emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1));
	emit(b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

static void allow_calls(struct builder *b, const int *nr, int n)
{
	for (int i = 0; i < n; i++)
		if (nr[i] != __NR_ioctl)
			allow_if(b, (unsigned)nr[i]);
}

int seccomp__build(enum seccomp_kind kind, struct sock_filter *prog, int max)
{
	const struct allow *a = &allow[kind];
	struct builder b = { prog, 0, max };
	const struct sock_filter trap = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);

	/* Only x86-64 system calls (not i386's int 0x80, not x32). */
	emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch)));
	emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr)));
	emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
	emit(&b, trap);
	allow_calls(&b, LIST(common));
	allow_calls(&b, a->calls, a->nr_calls);
	if (a->nr_ioctls) {
		/* ioctl: the request (argument 1) must be one of the kind's. */
		emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 1, 0));
		emit(&b, trap);
		emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG1_HI));
		emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0));
		emit(&b, trap);
		emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG1_LO));
		for (int i = 0; i < a->nr_ioctls; i++)
			allow_if(&b, a->ioctls[i]);
	}
	emit(&b, trap);
	return b.n <= max ? b.n : -1;
}

/* ---- the SIGSYS handler ---- */

/* Async-signal-safe formatting into a fixed buffer. */
struct line {
	char buf[256];
	size_t n;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->n < sizeof(l->buf))
		l->buf[l->n++] = *s++;
}

static void put_num(struct line *l, unsigned long v, unsigned base)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i && l->n < sizeof(l->buf))
		l->buf[l->n++] = tmp[--i];
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	const char *name = seccomp__syscall_name(si->si_syscall);
	struct line l = { .n = 0 };

	(void)sig;
	put(&l, "mkvm: seccomp: the ");
	put(&l, thread_name[0] ? thread_name : "unknown");
	put(&l, " thread made a forbidden system call: ");
	put(&l, name ? name : "?");
	put(&l, " (");
	put_num(&l, (unsigned long)si->si_syscall, 10);
	put(&l, ")");
	if (si->si_syscall == __NR_ioctl) {
		put(&l, " request 0x");
		put_num(&l, (unsigned long)uc->uc_mcontext.gregs[REG_RSI], 16);
	}
	put(&l, "; stopping (--no-seccomp runs without the filters)\n");
	if (write(STDERR_FILENO, l.buf, l.n) < 0)
		l.n = 0;
	_exit(MKVM_EXIT_INTERNAL);
}

/* ---- set-up ---- */

static int kind_of(const char *s)
{
	for (int k = 0; k < SECCOMP_KINDS; k++)
		if (!strcmp(s, allow[k].name))
			return k;
	return -1;
}

bool seccomp__kind_valid(const char *s)
{
	return kind_of(s) >= 0;
}

int seccomp__enable(const char *test)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	/* Also what an unprivileged process needs to install a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		fprintf(stderr, "mkvm: seccomp: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL)) {
		fprintf(stderr, "mkvm: seccomp: SIGSYS handler: %s\n", strerror(errno));
		return -1;
	}
	selftest = test ? kind_of(test) : -1;
	enabled = true;
	return 0;
}

void seccomp__install(enum seccomp_kind kind, const char *name)
{
	struct sock_filter f[256];
	struct sock_fprog prog;
	int n;

	if (!enabled)
		return;
	snprintf(thread_name, sizeof(thread_name), "%s", name);
	n = seccomp__build(kind, f, (int)(sizeof(f) / sizeof(f[0])));
	prog = (struct sock_fprog){ .len = (unsigned short)n, .filter = f };
	if (n < 0 || syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		fprintf(stderr, "mkvm: seccomp: cannot confine the %s thread: %s "
			"(--no-seccomp runs without the filters)\n", name,
			n < 0 ? "filter too long" : strerror(errno));
		_exit(MKVM_EXIT_INTERNAL);
	}
	if (selftest == (int)kind) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0)
			close(fd);
	}
}
