/* The GDB stub as the rest of mkvm sees it: `--gdb tcp:HOST:PORT` or
 * `--gdb unix:PATH`, and `--gdb-wait`. One gdb thread owns the socket and
 * the stub (stub.c); vCPU threads only report KVM_EXIT_DEBUG to it. */
#ifndef MKVM_GDB_GDB_H
#define MKVM_GDB_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct vm;

struct gdb_addr {
	bool is_unix;
	char host[256];		/* tcp: host name or address */
	char port[8];		/* tcp: decimal port */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* unix */
};

/* Parses "tcp:[HOST:]PORT" (HOST defaults to localhost, so the stub is not
 * reachable from other machines unless asked) or "unix:PATH". Returns -1
 * with a one-line reason in err when malformed. No side effects. */
int gdb__parse_addr(const char *spec, struct gdb_addr *out, char *err,
		    size_t errlen);

/* Opens the listening socket for a: a unix socket is created mode 0600,
 * so only this user can drive the VM (a debugger can read and write all
 * of guest memory). Returns the fd, or -1 with errno. */
int gdb__listen(const struct gdb_addr *a);

/* Opens the listening socket and starts the gdb thread. Call after the
 * vCPUs are created and before vm__start(). With wait, no vCPU executes a
 * guest instruction before gdb has attached and resumed it. kdesc, if not
 * 0, is the kernel virtual address of the guest kernel's description of
 * its threads and spaces (shared/mkvm/kdebug.h), and programs the
 * directory where gdb finds the programs' ELFs: the stub then shows the
 * spaces as gdb processes. named, if not 0, is the kernel's
 * mkvm_kdebug_named (gdb then learns of each program before it runs).
 * Prints the reason and returns -1 on failure. */
int gdb__start(struct vm *vm, const char *spec, bool wait, uint64_t kdesc,
	       uint64_t named, const char *programs);

#endif
