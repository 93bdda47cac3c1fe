/* The command line, parsed into a struct config and, for the devices'
 * options, into each device's own settings (device.h). Nothing else is
 * touched, so the parser is unit-tested in tests/unit/test_vmm_cli.c. */
#ifndef MKVM_CLI_H
#define MKVM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ratelimit.h"

#define CLI_DEFAULT_MEM   (256ull << 20)
#define CLI_MIN_MEM       (4ull << 20)
#define CLI_MAX_MEM       (512ull << 30)
#define CLI_MAX_CPUS      64

#define CLI_MAX_PATH 4096

struct config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *serial;      /* log file instead of stdout, or NULL */
	const char *domain;      /* --domain: libvirt domain XML giving the rest, or NULL */
	uint64_t mem;
	int cpus;
	const char *gdb;         /* --gdb address, or NULL */
	bool gdb_wait;
	const char *gdb_os;      /* --gdb-os DIR or off; NULL: image/ beside the initrd */
	int nr_device_opts;      /* device options given (device.h) */
	bool no_irqfd;           /* --no-irqfd: MSIs by KVM_SIGNAL_MSI */
	bool no_seccomp;         /* --no-seccomp: no system call filters */
	const char *user, *group; /* --user, --group: who to run as after set-up */
	const char *seccomp_selftest; /* hidden: a thread kind that breaks its filter */
	bool no_host_check;
	bool probe;
	bool stats;
	bool help;
	bool version;
};

/* Fills cfg, and the settings of the devices (reset first), from argv. On
 * error returns -1 with a one-line reason in err. */
int cli__parse(struct config *cfg, int argc, char *const argv[],
	       char *err, size_t errlen);

/* "256M", "1G", "4096K", "1048576": bytes into *out; -1 when malformed or
 * overflowing. */
int cli__parse_size(const char *s, uint64_t *out);

void cli__usage(FILE *out);

/* For the devices' option parsers (device.h). */

/* One rate-limit key of a device option, "rate=SIZE" (bytes a second)
 * or "ops=N" (requests a second), n bytes at s. Returns 1 when s is one
 * (and sets it in l), 0 when it is not, -1 (with err) when it is malformed. */
int cli__parse_limit_key(const char *opt, const char *s, size_t n,
			 struct rate_limit *l, char *err, size_t errlen);

/* Takes ",readonly" (when allow_readonly), ",rate=SIZE" and ",ops=N" off
 * the end of arg; returns the length of what is left (the file or
 * backend), or -1 with err. The last comma must start a known key; the
 * first one that does not ends the keys, so a file name may hold commas. */
int cli__strip_keys(const char *opt, const char *arg, bool allow_readonly,
		    bool *readonly, struct rate_limit *l, char *err, size_t errlen);

#endif
