/* Devices declare themselves. Each device's binding file (e.g.
 * virtio/blk_pci.c) holds one struct device_decl and the device's own
 * settings: the command-line option that asks for the device and its
 * parser, the libvirt domain element that asks for it and its parser,
 * the checks made before KVM is opened, and the set-up. DEVICE_DECLARE()
 * puts a pointer to it in the linker section mkvm_devices; cli.c,
 * config/domain.c and main.c walk that section, so no central list or
 * structure names the devices (the way kvmtool's init lists and Solo5's
 * module table work). */
#ifndef MKVM_DEVICE_H
#define MKVM_DEVICE_H

#include <stddef.h>

struct domain_elem;
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
	/* The device's settings: a structure of the binding file's own
	 * (declared in the device's header), which parse and the domain
	 * element fill and init reads. reset empties it again ("no such
	 * device"), freeing what they allocated; cli__parse() and
	 * domain__parse_*() reset every device before they start. */
	void *settings;
	void (*reset)(void);
	/* Applies one occurrence of --option (arg NULL when absent) to the
	 * settings; returns -1 with a one-line reason in err when it is
	 * malformed. */
	int (*parse)(const char *arg, char *err, size_t errlen);
	/* The element of a libvirt domain's <devices> that asks for this
	 * device (config/domain.h): its name, attributes and parser, which
	 * fills the settings. NULL when there is none. */
	const struct domain_elem *domain;
	/* Optional: what can be checked before /dev/kvm is opened (e.g. that
	 * an image opens as the device will open it). Prints why and returns
	 * an MKVM_EXIT_* status on failure, 0 on success. */
	int (*validate)(void);
	/* Sets up the devices the settings ask for (none is fine), guest
	 * output of a console going to out_fd. Prints why and returns an
	 * MKVM_EXIT_* status on failure, 0 on success. */
	int (*init)(struct vm *vm, int out_fd);
};

#define DEVICE_DECLARE(decl)                                              \
	static const struct device_decl *const device_decl_##decl         \
	__attribute__((used, section("mkvm_devices"))) = &(decl)

/* Every declared device, in increasing order, into out (at most
 * DEVICE_MAX); returns how many. */
int device__list(const struct device_decl *out[DEVICE_MAX]);

/* The device whose option is name, or NULL. */
const struct device_decl *device__find(const char *name);

/* Resets the settings of every declared device (none asked for). */
void device__reset_all(void);

#endif
