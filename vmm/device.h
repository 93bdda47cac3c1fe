/* Devices declare themselves. Each device's binding file (e.g.
 * virtio/blk_pci.c) holds one struct device_decl: the command-line option
 * that asks for the device, how that option is parsed into struct config,
 * and how main() sets the devices up. DEVICE_DECLARE() puts a pointer to
 * it in the linker section mkvm_devices; cli.c and main.c walk that
 * section, so no central list names the devices (the way kvmtool's init
 * lists and Solo5's module table work). */
#ifndef MKVM_DEVICE_H
#define MKVM_DEVICE_H

#include <stddef.h>

struct config;
struct vm;

#define DEVICE_MAX 16

/* Whether an option takes an argument: none, "--name ARG" or "--name=ARG",
 * or only as "--name=ARG". */
enum { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

struct device_decl {
	/* Devices are set up, and so take PCI slots, and their options are
	 * listed by --help, in increasing order (the section's own order is
	 * the link order, which nothing fixes). Distinct for each device. */
	int order;
	const char *option;      /* --option */
	int has_arg;             /* ARG_* */
	const char *help;        /* one line for --help */
	/* Applies one occurrence of --option (arg NULL when absent) to cfg;
	 * returns -1 with a one-line reason in err when it is malformed. */
	int (*parse)(struct config *cfg, const char *arg, char *err, size_t errlen);
	/* Sets up the devices cfg asks for (none is fine), guest output of a
	 * console going to out_fd. Prints why and returns an MKVM_EXIT_*
	 * status on failure, 0 on success. */
	int (*init)(struct vm *vm, const struct config *cfg, int out_fd);
};

#define DEVICE_DECLARE(decl)                                              \
	static const struct device_decl *const device_decl_##decl         \
	__attribute__((used, section("mkvm_devices"))) = &(decl)

/* Every declared device, in increasing order, into out (at most
 * DEVICE_MAX); returns how many. */
int device__list(const struct device_decl *out[DEVICE_MAX]);

#endif
