/* The seccomp filters (vmm/seccomp.c), installed in a forked child: what a
 * thread kind may do passes, anything else ends the process with a message
 * naming the system call (and an ioctl's request). */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <mkvm/testexit.h>
#include "seccomp.h"
#include "unit.h"

/* Runs fn in a child confined as `kind`; returns its exit status (or 128 +
 * signal) and its stderr in msg. */
static int confined(enum seccomp_kind kind, const char *selftest, void (*fn)(void),
		    char *msg, size_t len)
{
	int p[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe(p))
		return -1;
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		if (seccomp__enable(selftest))
			_exit(99);
		seccomp__install(kind, "test");
		fn();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void open_file(void)
{
	open("/dev/null", O_WRONLY);
}

static void worker_io(void)
{
	char b[16];

	/* A worker's life: random bytes, eventfd-like reads and writes, an
	 * ioctl it may make (fails on a bad fd, but is let through). */
	if (getrandom(b, sizeof(b), 0) != sizeof(b) || write(2, "", 0) != 0)
		_exit(1);
	if (ioctl(-1, KVM_SIGNAL_MSI, NULL) != -1)
		_exit(2);
}

static void make_socket(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
}

static void tiocsti(void)
{
	char c = 'x';

	ioctl(0, TIOCSTI, &c);
}

static void kvm_run(void)
{
	ioctl(-1, KVM_RUN, 0);
}

static void nothing(void)
{
}

TEST(vmm_seccomp_worker_allows_its_calls)
{
	char msg[512];

	CHECK(confined(SECCOMP_WORKER, NULL, worker_io, msg, sizeof(msg)) == 0);
	CHECK(msg[0] == '\0');
}

TEST(vmm_seccomp_forbidden_call_is_named)
{
	char msg[512];

	CHECK(confined(SECCOMP_WORKER, NULL, make_socket, msg, sizeof(msg)) ==
	      MKVM_EXIT_INTERNAL);
	CHECK(strstr(msg, "mkvm: seccomp: the test thread made a forbidden system call: "
		      "socket (41)") != NULL);
	/* ioctl: the request is filtered, and named. */
	CHECK(confined(SECCOMP_WORKER, NULL, tiocsti, msg, sizeof(msg)) == MKVM_EXIT_INTERNAL);
	CHECK(strstr(msg, "ioctl (16) request 0x5412") != NULL);
	CHECK(confined(SECCOMP_WORKER, NULL, kvm_run, msg, sizeof(msg)) == MKVM_EXIT_INTERNAL);
	CHECK(confined(SECCOMP_VCPU, NULL, kvm_run, msg, sizeof(msg)) == 0);
	CHECK(confined(SECCOMP_GDB, NULL, tiocsti, msg, sizeof(msg)) == MKVM_EXIT_INTERNAL);
	CHECK(confined(SECCOMP_MAIN, NULL, make_socket, msg, sizeof(msg)) == MKVM_EXIT_INTERNAL);
	/* Opening files is nobody's business after set-up. */
	CHECK(confined(SECCOMP_VCPU, NULL, open_file, msg, sizeof(msg)) == MKVM_EXIT_INTERNAL);
	CHECK(strstr(msg, "openat (257)") != NULL);
}

TEST(vmm_seccomp_selftest_hook)
{
	char msg[512];

	CHECK(confined(SECCOMP_WORKER, "worker", nothing, msg, sizeof(msg)) == MKVM_EXIT_INTERNAL);
	CHECK(strstr(msg, "forbidden system call: socket (41)") != NULL);
	CHECK(confined(SECCOMP_WORKER, "gdb", nothing, msg, sizeof(msg)) == 0);
	CHECK(seccomp__kind_valid("vcpu") && !seccomp__kind_valid("cpu"));
}

TEST(vmm_seccomp_filters_fit)
{
	struct sock_filter f[256];

	for (int k = 0; k < SECCOMP_KINDS; k++) {
		int n = seccomp__build(k, f, 256);

		CHECK(n > 10 && n < 256);
		CHECK(seccomp__build(k, f, 5) == -1);
	}
	CHECK(!strcmp(seccomp__syscall_name(0), "read"));
	CHECK(seccomp__syscall_name(-1) == NULL && seccomp__syscall_name(100000) == NULL);
}
