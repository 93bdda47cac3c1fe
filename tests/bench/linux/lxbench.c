/* The Linux side of `make bench-kernel`: the operations closest to the
 * kernel's microbenchmarks (guest-servers/root/bench.c), timed with rdtsc and
 * printed in the same "bench: NAME N cycles/op" format. Best of 3 rounds of N.
 * Under QEMU -icount shift=0 the TSC counts instructions. Printed, never
 * asserted. Runs as a normal program or, in the bench initramfs, from /init.
 *
 *   getpid            syscall(SYS_getpid): a null system call (glibc's
 *                     getpid() is not cached any more, but bypass it anyway)
 *   pipe-pingpong     one byte there and back through two pipes between two
 *                     processes: the nearest thing to IPC call+reply between
 *                     two address spaces
 *   sched-yield       two threads of one process pinned to one CPU hand a turn
 *                     back and forth with sched_yield: a round trip of two
 *                     thread switches within one address space
 *   fault-anon        the first write to each of 64 pages of a fresh private
 *                     anonymous mapping: a page fault and a zeroed page
 *   fault-cow         after fork, the parent's first write to each of 64
 *                     pages it had written before: a copy-on-write fault
 *                     (the child, still alive, keeps the original) */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

#define N 20000
#define ROUNDS 3

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void pin_cpu0(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		die("sched_setaffinity");
}

static uint64_t bench_getpid(void)
{
	uint64_t best = UINT64_MAX;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = __rdtsc();
		for (int i = 0; i < N; i++)
			syscall(SYS_getpid);
		uint64_t t = (__rdtsc() - t0) / N;
		if (t < best)
			best = t;
	}
	return best;
}

static void xread(int fd, char *c)
{
	if (read(fd, c, 1) != 1)
		die("read");
}

static void xwrite(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		die("write");
}

static uint64_t bench_pipe(void)
{
	int there[2], back[2];
	char c = 0;
	if (pipe(there) != 0 || pipe(back) != 0)
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* The echo side: every byte goes straight back. */
		for (int i = 0; i < ROUNDS * N; i++) {
			xread(there[0], &c);
			xwrite(back[1], c);
		}
		_exit(0);
	}
	uint64_t best = UINT64_MAX;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = __rdtsc();
		for (int i = 0; i < N; i++) {
			xwrite(there[1], c);
			xread(back[0], &c);
		}
		uint64_t t = (__rdtsc() - t0) / N;
		if (t < best)
			best = t;
	}
	if (waitpid(pid, NULL, 0) != pid)
		die("waitpid");
	close(there[0]); close(there[1]); close(back[0]); close(back[1]);
	return best;
}

/* turn is 0 while the main thread may go, 1 while the partner may. */
static volatile int turn;
static volatile int stop;

static void *yield_partner(void *arg)
{
	(void)arg;
	pin_cpu0();
	while (!stop) {
		while (turn != 1 && !stop)
			sched_yield();
		turn = 0;
	}
	return NULL;
}

static uint64_t bench_yield(void)
{
	pthread_t th;
	if (pthread_create(&th, NULL, yield_partner, NULL) != 0)
		die("pthread_create");
	uint64_t best = UINT64_MAX;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = __rdtsc();
		for (int i = 0; i < N; i++) {
			turn = 1;
			while (turn != 0)
				sched_yield();
		}
		uint64_t t = (__rdtsc() - t0) / N;
		if (t < best)
			best = t;
	}
	stop = 1;
	pthread_join(th, NULL);
	return best;
}

#define FAULT_PAGES 64

static uint8_t *map_pages(void)
{
	uint8_t *p = mmap(NULL, FAULT_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* Cycles per first write to each page of p. */
static uint64_t write_pages(uint8_t *p)
{
	uint64_t t0 = __rdtsc();
	for (int i = 0; i < FAULT_PAGES; i++)
		((volatile uint8_t *)p)[i * 4096] = 2;
	return (__rdtsc() - t0) / FAULT_PAGES;
}

static uint64_t bench_fault_anon(void)
{
	uint64_t best = UINT64_MAX;
	for (int r = 0; r < ROUNDS; r++) {
		uint8_t *p = map_pages();
		uint64_t t = write_pages(p);
		if (t < best)
			best = t;
		munmap(p, FAULT_PAGES * 4096);
	}
	return best;
}

static uint64_t bench_fault_cow(void)
{
	uint64_t best = UINT64_MAX;
	for (int r = 0; r < ROUNDS; r++) {
		uint8_t *p = map_pages();
		int hold[2];
		char c;
		for (int i = 0; i < FAULT_PAGES; i++)
			p[i * 4096] = 1;
		if (pipe(hold) != 0)
			die("pipe");
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			/* keeps the pages shared until the parent has written them */
			close(hold[1]);
			xread(hold[0], &c);
			_exit(0);
		}
		close(hold[0]);
		uint64_t t = write_pages(p);
		if (t < best)
			best = t;
		xwrite(hold[1], 0);
		if (waitpid(pid, NULL, 0) != pid)
			die("waitpid");
		close(hold[1]);
		munmap(p, FAULT_PAGES * 4096);
	}
	return best;
}

int main(void)
{
	/* Both processes and both threads share one CPU, like the kernel's
	 * benchmark on its one CPU, so every round trip is a real switch. */
	pin_cpu0();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("bench: linux-getpid %lu cycles/op\n", (unsigned long)bench_getpid());
	printf("bench: linux-pipe-pingpong %lu cycles/op (two processes)\n",
	       (unsigned long)bench_pipe());
	printf("bench: linux-sched-yield-pingpong %lu cycles/op (two threads, one cpu)\n",
	       (unsigned long)bench_yield());
	printf("bench: linux-fault-anon %lu cycles/op (first write to a fresh anonymous page)\n",
	       (unsigned long)bench_fault_anon());
	printf("bench: linux-fault-cow %lu cycles/op (first write after fork, the child alive)\n",
	       (unsigned long)bench_fault_cow());
	return 0;
}
