/* runtime COMMAND...: runs COMMAND with stdout on a pipe and prints
 *   first_byte_ms=F exit_ms=E maxrss_kib=R status=S
 * F: from just before fork to the first byte on its stdout (-1: none);
 * E: to its exit; R: its peak RSS (wait4); S: its exit status. The output
 * itself is discarded. Used by tests/bench/vmm.sh. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int p[2], status;
	double t0, first = -1, end;
	char buf[4096];
	ssize_t n;
	struct rusage ru;
	pid_t pid;

	if (argc < 2 || pipe(p) < 0) {
		fprintf(stderr, "usage: runtime COMMAND [ARGS...]\n");
		return 2;
	}
	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		if (first < 0)
			first = now_ms() - t0;
	if (wait4(pid, &status, 0, &ru) < 0)
		return 1;
	end = now_ms() - t0;
	printf("first_byte_ms=%.2f exit_ms=%.2f maxrss_kib=%ld status=%d\n",
	       first, end, ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
