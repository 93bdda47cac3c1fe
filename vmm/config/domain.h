/* `mkvm --domain FILE.xml`: the subset of a libvirt domain (the format of
 * images/domain.xml.in) that mkvm can honour, read with libxml2. Anything
 * outside the subset is refused with its element and line, never ignored,
 * so a domain that runs on mkvm means the same as on libvirt. */
#ifndef MKVM_CONFIG_DOMAIN_H
#define MKVM_CONFIG_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ratelimit.h"

#define DOMAIN_MAX_DISKS 8
#define DOMAIN_MAX_NETS  4

struct domain_disk {
	char *path;             /* raw image */
	bool readonly;
	struct rate_limit limit; /* <iotune> total_bytes_sec, total_iops_sec */
};

struct domain {
	char *name;
	char *kernel;           /* <os><kernel>, required */
	char *initrd;           /* <os><initrd>, or NULL */
	char *cmdline;          /* <os><cmdline>, or NULL */
	char *serial_log;       /* COM1 output file (<serial><log file>), or NULL */
	uint64_t mem;           /* bytes */
	int cpus;
	struct domain_disk disks[DOMAIN_MAX_DISKS];
	int nr_disks;
	char *nets[DOMAIN_MAX_NETS]; /* virtio-net backends, mkvm's --net syntax */
	int nr_nets;
	bool console;           /* a virtio console */
	bool rng;               /* a virtio-rng fed by the host's random source */
	struct rate_limit rng_limit; /* <rng><rate bytes period> */
};

/* Parse a domain from a file or from memory (name is used in messages).
 * On error return -1 with "FILE:LINE: reason" in err and d left empty;
 * on success the caller owns d and releases it with domain__free(). */
int domain__parse_file(struct domain *d, const char *path, char *err, size_t errlen);
int domain__parse_buffer(struct domain *d, const char *buf, size_t len,
			 const char *name, char *err, size_t errlen);
void domain__free(struct domain *d);

struct config;

/* The domain's kernel, initrd, cmdline, memory, vCPUs, serial log and
 * devices into cfg, or -1 with the reason in err for what this mkvm cannot
 * honour (sizes or counts out of range). cfg points into d afterwards. */
int domain__apply(const struct domain *d, struct config *cfg, char *err, size_t errlen);

#endif
