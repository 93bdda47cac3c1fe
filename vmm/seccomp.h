/* Seccomp-BPF confinement (docs/vmm.md, "Confinement"). Every mkvm thread
 * installs an allow-list filter for its kind once its set-up is done: the
 * system calls it makes from then on, and for ioctl() only the request
 * numbers it uses. Anything else raises SIGSYS, whose handler names the
 * call and the thread and ends mkvm with MKVM_EXIT_INTERNAL.
 *
 *   main     after every other thread is started: the terminal loop
 *   vcpu     KVM_RUN and the exits' device emulation
 *   worker   a virtio device's worker: queues, backend I/O, interrupts
 *   gdb      the gdb stub's thread: its socket, vCPU registers
 *
 * Filters are built by hand (no libseccomp): they are small, x86-64 only,
 * and need nothing but equality tests on the system call number and on
 * ioctl's request. A filter is installed only after seccomp__enable();
 * the library's users without it (unit tests) are not confined. */
#ifndef MKVM_SECCOMP_H
#define MKVM_SECCOMP_H

#include <stdbool.h>

enum seccomp_kind {
	SECCOMP_MAIN,
	SECCOMP_VCPU,
	SECCOMP_WORKER,
	SECCOMP_GDB,
	SECCOMP_KINDS,
};

/* Turns confinement on for the threads that install their filter from
 * now on: sets no_new_privs and the SIGSYS handler. selftest, when not
 * NULL, names a kind ("main", "vcpu", "worker", "gdb") whose threads try
 * a forbidden system call (socket) right after their filter is in place,
 * to test the handler. Returns -1 (with the reason printed) on failure. */
int seccomp__enable(const char *selftest);

/* Whether s names a thread kind (for the command line). */
bool seccomp__kind_valid(const char *s);

/* Installs the calling thread's filter for its kind; `name` says which
 * thread it is in the SIGSYS message ("virtio-blk worker"; copied). Does nothing
 * unless seccomp__enable() was called. On failure mkvm exits: a thread
 * must never run unconfined when confinement was asked for. */
void seccomp__install(enum seccomp_kind kind, const char *name);

/* The filter of a kind as a BPF program, for tests: fills at most max
 * instructions (struct sock_filter) and returns their number, -1 if it
 * does not fit. */
struct sock_filter;
int seccomp__build(enum seccomp_kind kind, struct sock_filter *prog, int max);

/* The name of x86-64 system call nr ("read"), or NULL (syscall_names.c,
 * generated from <asm/unistd_64.h>). */
const char *seccomp__syscall_name(long nr);

#endif
