/* `mkvm --domain FILE.xml`: the subset of a libvirt domain (the format of
 * images/domain.xml.in) that mkvm can honour, read with libxml2. Anything
 * outside the subset is refused with its element and line, never ignored,
 * so a domain that runs on mkvm means the same as on libvirt.
 *
 * The machine's elements are read here into struct domain; each device's
 * element of <devices> is read by the device's own declaration
 * (device.h), through the element table and helpers below, into that
 * device's settings. */
#ifndef MKVM_CONFIG_DOMAIN_H
#define MKVM_CONFIG_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain {
	char *name;
	char *kernel;           /* <os><kernel>, required */
	char *initrd;           /* <os><initrd>, or NULL */
	char *cmdline;          /* <os><cmdline>, or NULL */
	char *serial_log;       /* COM1 output file (<serial><log file>), or NULL */
	uint64_t mem;           /* bytes */
	int cpus;
};

/* Parse a domain from a file or from memory (name is used in messages),
 * the devices' elements into the devices' settings (which are reset
 * first). On error return -1 with "FILE:LINE: reason" in err and d and
 * the devices left empty; on success the caller owns d and releases it
 * with domain__free(). */
int domain__parse_file(struct domain *d, const char *path, char *err, size_t errlen);
int domain__parse_buffer(struct domain *d, const char *buf, size_t len,
			 const char *name, char *err, size_t errlen);
void domain__free(struct domain *d);

struct config;

/* The domain's kernel, initrd, cmdline, memory, vCPUs and serial log into
 * cfg, or -1 with the reason in err for what this mkvm cannot honour
 * (sizes or counts out of range). cfg points into d afterwards. */
int domain__apply(const struct domain *d, struct config *cfg, char *err, size_t errlen);

/* For the devices' element parsers. */

struct domain_ctx;               /* one parse in progress */
struct _xmlNode;                 /* libxml2's element */

/* One element mkvm understands: its attributes (NULL-terminated) and a
 * function for its content, or NULL when the content is ignored. Any
 * attribute not listed is refused before parse is called. */
struct domain_elem {
	const char *name;
	const char *attrs[7];
	int (*parse)(struct domain_ctx *c, struct _xmlNode *n);
};

#define DOMAIN_ATTRS(...) { __VA_ARGS__ }
#define DOMAIN_NO_ATTRS   { NULL }
/* Accepted and ignored: mkvm places its PCI devices itself. */
#define DOMAIN_ADDRESS    { "address", DOMAIN_ATTRS("type", "domain", "bus", "slot", \
						    "function", "multifunction"), NULL }

/* Every element child of n must be one of the nr in elems; each is
 * checked and parsed in turn. Returns -1 at the first that is not. */
int domain__children(struct domain_ctx *c, struct _xmlNode *n,
		     const struct domain_elem *elems, size_t nr);
#define DOMAIN_CHILDREN(c, n, table) \
	domain__children(c, n, table, sizeof(table) / sizeof(table[0]))

/* Records "FILE:LINE: " and the message as the parse's error; returns -1. */
int domain__fail(struct domain_ctx *c, const struct _xmlNode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A copy of attribute name of n (free() it), or NULL when absent. */
char *domain__attr(const struct _xmlNode *n, const char *name);

/* Attribute name of n, if present, is one of the '|'-separated words of
 * allowed; an absent attribute is fine when optional. -1 (failed) if not. */
int domain__attr_in(struct domain_ctx *c, const struct _xmlNode *n, const char *name,
		    const char *allowed, bool optional);

/* The trimmed text content of n (free() it), or NULL when out of memory. */
char *domain__text(const struct _xmlNode *n);

/* The text of n as a decimal number into *out, or -1 (failed). */
int domain__number(struct domain_ctx *c, const struct _xmlNode *n, uint64_t *out);

/* *dst = value (which it owns), refusing a second occurrence of the
 * element and a NULL value (out of memory). */
int domain__set_once(struct domain_ctx *c, const struct _xmlNode *n, char **dst,
		     char *value);

#endif
