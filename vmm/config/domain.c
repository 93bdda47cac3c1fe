/* A libvirt domain XML file read into a struct domain with libxml2.
 *
 * Every element and attribute is looked up in a table of what mkvm
 * supports; the first one that is not there is an error naming it and its
 * line. Elements that only matter to QEMU or libvirt and change nothing
 * about the guest mkvm builds (uuid, emulator, PCI addresses: mkvm places
 * its devices itself) are accepted and ignored. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cli.h"
#include "config/domain.h"

#define DOMAIN_MAX_FILE (1u << 20)
#define DOMAIN_MAX_CPUS 1024

struct ctx {
	const char *file;
	struct domain *d;
	uint64_t current_mem;
	char *err;
	size_t errlen;
};

/* One element mkvm understands: its attributes (NULL-terminated) and a
 * function for its content, or NULL when the content is ignored. */
struct elem {
	const char *name;
	const char *attrs[7];
	int (*parse)(struct ctx *c, xmlNode *n);
};

#define ATTRS(...) { __VA_ARGS__ }
#define NO_ATTRS   { NULL }
/* Accepted and ignored: mkvm places its PCI devices itself. */
#define ADDRESS    { "address", ATTRS("type", "domain", "bus", "slot", "function", \
				      "multifunction"), NULL }

static int fail(struct ctx *c, const xmlNode *n, const char *fmt, ...)
{
	size_t off;
	va_list ap;

	snprintf(c->err, c->errlen, "%s:%ld: ", c->file, n ? xmlGetLineNo(n) : 0L);
	off = strlen(c->err);
	va_start(ap, fmt);
	vsnprintf(c->err + off, c->errlen - off, fmt, ap);
	va_end(ap);
	return -1;
}

static bool is(const xmlChar *s, const char *want)
{
	return s && !xmlStrcmp(s, BAD_CAST want);
}

/* attr: a copy of attribute name of n (free() it), or NULL when absent. */
static char *attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

/* attr_in: attribute name of n, if present, is one of the '|'-separated
 * words of allowed; an absent attribute is fine when optional. */
static int attr_in(struct ctx *c, const xmlNode *n, const char *name,
		   const char *allowed, bool optional)
{
	char *v = attr(n, name);
	int rc = 0;

	if (!v) {
		if (!optional)
			rc = fail(c, n, "<%s> needs %s='...' (mkvm supports %s)",
				  n->name, name, allowed);
		return rc;
	}
	size_t len = strlen(v);
	const char *p = allowed;
	bool found = false;

	while (*p && !found) {
		const char *bar = strchr(p, '|');
		size_t wl = bar ? (size_t)(bar - p) : strlen(p);

		found = wl == len && !strncmp(p, v, len);
		p += wl + (bar != NULL);
	}
	if (!found)
		rc = fail(c, n, "<%s %s='%s'> is not supported by mkvm (supported: %s)",
			  n->name, name, v, allowed);
	free(v);
	return rc;
}

/* text: the trimmed text content of n (free() it). */
static char *text(const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *s = v ? (const char *)v : "";
	size_t len;
	char *out;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
		       s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	out = strndup(s, len);
	xmlFree(v);
	return out;
}

static int text_is(struct ctx *c, const xmlNode *n, const char *want, const char *why)
{
	char *t = text(n);
	int rc = 0;

	if (!t || strcmp(t, want))
		rc = fail(c, n, "<%s>%s</%s> is not supported by mkvm (%s)",
			  n->name, t ? t : "", n->name, why);
	free(t);
	return rc;
}

/* set_once: *dst = value, refusing a second occurrence of the element. */
static int set_once(struct ctx *c, const xmlNode *n, char **dst, char *value)
{
	if (!value)
		return fail(c, n, "out of memory");
	if (*dst) {
		free(value);
		return fail(c, n, "<%s> given twice", n->name);
	}
	*dst = value;
	return 0;
}

static int parse_number(struct ctx *c, const xmlNode *n, uint64_t *out)
{
	char *t = text(n), *end;
	int rc = 0;

	errno = 0;
	*out = t && t[0] >= '0' && t[0] <= '9' ? strtoull(t, &end, 10) : 0;
	if (!t || t[0] < '0' || t[0] > '9' || errno || *end)
		rc = fail(c, n, "<%s> must be a decimal number, not '%s'", n->name, t ? t : "");
	free(t);
	return rc;
}

/* check: n's attributes are all in e->attrs, then e->parse(n). */
static int check(struct ctx *c, const struct elem *e, xmlNode *n)
{
	for (xmlAttr *a = n->properties; a; a = a->next) {
		bool ok = false;

		for (size_t i = 0; i < sizeof(e->attrs) / sizeof(e->attrs[0]) &&
				   e->attrs[i] && !ok; i++)
			ok = !a->ns && is(a->name, e->attrs[i]);
		if (!ok)
			return fail(c, n, "attribute '%s' of <%s> is not supported by mkvm",
				    a->name, n->name);
	}
	return e->parse ? e->parse(c, n) : 0;
}

/* children: every element child of n must be in the table elems. */
static int children(struct ctx *c, xmlNode *n, const struct elem *elems, size_t nr)
{
	for (xmlNode *k = n->children; k; k = k->next) {
		size_t i;

		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (k->ns)
			return fail(c, k, "<%s:%s> (a hypervisor-specific extension) is not "
				    "supported by mkvm", k->ns->prefix ? (const char *)k->ns->prefix : "",
				    k->name);
		for (i = 0; i < nr && !is(k->name, elems[i].name); i++)
			;
		if (i == nr)
			return fail(c, k, "<%s> in <%s> is not supported by mkvm",
				    k->name, n->name);
		if (check(c, &elems[i], k))
			return -1;
	}
	return 0;
}

#define CHILDREN(c, n, table) children(c, n, table, sizeof(table) / sizeof(table[0]))

/* Memory sizes: libvirt's units, KiB when none is given. */
static int parse_size(struct ctx *c, xmlNode *n, uint64_t *out)
{
	static const struct { const char *unit; uint64_t mul; } units[] = {
		{ "b", 1 }, { "bytes", 1 }, { "KB", 1000 }, { "k", 1ull << 10 },
		{ "KiB", 1ull << 10 }, { "MB", 1000000 }, { "M", 1ull << 20 },
		{ "MiB", 1ull << 20 }, { "GB", 1000000000 }, { "G", 1ull << 30 },
		{ "GiB", 1ull << 30 }, { "TB", 1000000000000ull }, { "T", 1ull << 40 },
		{ "TiB", 1ull << 40 },
	};
	char *unit = attr(n, "unit");
	uint64_t v, mul = 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(unit ? unit : "KiB", units[i].unit))
			mul = units[i].mul;
	if (!mul) {
		fail(c, n, "unknown memory unit '%s'", unit);
		free(unit);
		return -1;
	}
	free(unit);
	if (parse_number(c, n, &v))
		return -1;
	if (v > UINT64_MAX / mul)
		return fail(c, n, "<%s> is too large", n->name);
	*out = v * mul;
	return 0;
}

/* set_nonempty: set_once for an element whose text must not be empty. */
static int set_nonempty(struct ctx *c, xmlNode *n, char **dst)
{
	char *t = text(n);

	if (t && !*t) {
		free(t);
		return fail(c, n, "<%s> is empty", n->name);
	}
	return set_once(c, n, dst, t);
}

static int parse_name(struct ctx *c, xmlNode *n)
{
	return set_nonempty(c, n, &c->d->name);
}

static int parse_memory(struct ctx *c, xmlNode *n)
{
	if (c->d->mem)
		return fail(c, n, "<memory> given twice");
	if (parse_size(c, n, &c->d->mem))
		return -1;
	return c->d->mem ? 0 : fail(c, n, "<memory> must not be 0");
}

static int parse_current_memory(struct ctx *c, xmlNode *n)
{
	return parse_size(c, n, &c->current_mem);
}

static int parse_vcpu(struct ctx *c, xmlNode *n)
{
	uint64_t v;

	if (attr_in(c, n, "placement", "static", true) || parse_number(c, n, &v))
		return -1;
	if (v < 1 || v > DOMAIN_MAX_CPUS)
		return fail(c, n, "<vcpu> must be 1 to %d", DOMAIN_MAX_CPUS);
	c->d->cpus = (int)v;
	return 0;
}

static int parse_os_type(struct ctx *c, xmlNode *n)
{
	if (attr_in(c, n, "arch", "x86_64", true))
		return -1;
	return text_is(c, n, "hvm", "mkvm runs full (hvm) x86-64 guests");
}

static int parse_kernel(struct ctx *c, xmlNode *n)
{
	return set_nonempty(c, n, &c->d->kernel);
}

static int parse_initrd(struct ctx *c, xmlNode *n)
{
	return set_once(c, n, &c->d->initrd, text(n));
}

static int parse_cmdline(struct ctx *c, xmlNode *n)
{
	return set_once(c, n, &c->d->cmdline, text(n));
}

static int parse_os(struct ctx *c, xmlNode *n)
{
	static const struct elem os[] = {
		{ "type",    ATTRS("arch", "machine"), parse_os_type },
		{ "kernel",  NO_ATTRS, parse_kernel },
		{ "initrd",  NO_ATTRS, parse_initrd },
		{ "cmdline", NO_ATTRS, parse_cmdline },
	};
	return CHILDREN(c, n, os);
}

/* mkvm always gives the guest ACPI tables and an APIC, and long mode. */
static int parse_features(struct ctx *c, xmlNode *n)
{
	static const struct elem features[] = {
		{ "acpi", NO_ATTRS, NULL },
		{ "apic", NO_ATTRS, NULL },
		{ "pae",  NO_ATTRS, NULL },
	};
	return CHILDREN(c, n, features);
}

/* mkvm passes the host's CPUID through, which these modes all ask for. */
static int parse_cpu(struct ctx *c, xmlNode *n)
{
	if (attr_in(c, n, "mode", "host-passthrough|maximum|host-model", true))
		return -1;
	return children(c, n, NULL, 0);
}

static int parse_lifecycle(struct ctx *c, xmlNode *n)
{
	return text_is(c, n, "destroy", "mkvm ends the run on guest poweroff, reset and crash");
}

static int parse_disk_driver(struct ctx *c, xmlNode *n)
{
	if (attr_in(c, n, "name", "qemu", true) || attr_in(c, n, "type", "raw", false))
		return -1;
	return 0;
}

static int parse_disk_source(struct ctx *c, xmlNode *n)
{
	struct domain *d = c->d;
	char *file = attr(n, "file");

	if (!file)
		return fail(c, n, "<source> of a disk needs file='...'");
	return set_once(c, n, &d->disks[d->nr_disks].path, file);
}

static int parse_disk_readonly(struct ctx *c, xmlNode *n)
{
	(void)n;
	c->d->disks[c->d->nr_disks].readonly = true;
	return 0;
}

/* <iotune>: the totals, which mkvm's limiter has (read and write together). */
static int parse_iotune_bytes(struct ctx *c, xmlNode *n)
{
	return parse_number(c, n, &c->d->disks[c->d->nr_disks].limit.bytes_per_s);
}

static int parse_iotune_iops(struct ctx *c, xmlNode *n)
{
	return parse_number(c, n, &c->d->disks[c->d->nr_disks].limit.ops_per_s);
}

static int parse_disk_iotune(struct ctx *c, xmlNode *n)
{
	static const struct elem iotune[] = {
		{ "total_bytes_sec", NO_ATTRS, parse_iotune_bytes },
		{ "total_iops_sec",  NO_ATTRS, parse_iotune_iops },
	};
	return CHILDREN(c, n, iotune);
}

static int parse_disk_target(struct ctx *c, xmlNode *n)
{
	return attr_in(c, n, "bus", "virtio", false);
}

static int parse_disk(struct ctx *c, xmlNode *n)
{
	static const struct elem disk[] = {
		{ "driver",   ATTRS("name", "type"), parse_disk_driver },
		{ "source",   ATTRS("file"), parse_disk_source },
		{ "target",   ATTRS("dev", "bus"), parse_disk_target },
		{ "readonly", NO_ATTRS, parse_disk_readonly },
		{ "iotune",   NO_ATTRS, parse_disk_iotune },
		ADDRESS,
	};
	struct domain *d = c->d;

	if (d->nr_disks == DOMAIN_MAX_DISKS)
		return fail(c, n, "more than %d disks", DOMAIN_MAX_DISKS);
	if (attr_in(c, n, "type", "file", false) || attr_in(c, n, "device", "disk", true) ||
	    attr_in(c, n, "model", "virtio|virtio-non-transitional", true) ||
	    CHILDREN(c, n, disk))
		return -1;
	if (!d->disks[d->nr_disks].path)
		return fail(c, n, "<disk> needs <source file='...'/>");
	d->nr_disks++;
	return 0;
}

static int parse_model_virtio(struct ctx *c, xmlNode *n)
{
	return attr_in(c, n, "type", "virtio|virtio-non-transitional", false);
}

static int parse_net_target(struct ctx *c, xmlNode *n)
{
	struct domain *d = c->d;
	char *dev = attr(n, "dev"), *spec;

	if (!dev || attr_in(c, n, "managed", "yes|no", false)) {
		free(dev);
		return dev ? -1 : fail(c, n, "<target> of an interface needs dev='TAP'");
	}
	spec = malloc(strlen(dev) + 5);
	if (spec)
		sprintf(spec, "tap=%s", dev);
	free(dev);
	return set_once(c, n, &d->nets[d->nr_nets], spec);
}

/* libvirt's type='ethernet' TAP is mkvm's --net tap=NAME: managed='no' names
 * a TAP that exists already, managed='yes' one libvirt creates. mkvm's
 * TUNSETIFF does either (it attaches to NAME, or creates it with
 * CAP_NET_ADMIN), so both mean the same here. libvirt's type='user' is
 * QEMU's NAT stack, which mkvm does not have. */
static int parse_interface(struct ctx *c, xmlNode *n)
{
	static const struct elem iface[] = {
		{ "mac",     ATTRS("address"), NULL },
		{ "model",   ATTRS("type"), parse_model_virtio },
		{ "target",  ATTRS("dev", "managed"), parse_net_target },
		ADDRESS,
	};
	struct domain *d = c->d;
	char *type = attr(n, "type");
	bool ethernet = type && !strcmp(type, "ethernet");

	if (!ethernet) {
		fail(c, n, "<interface type='%s'> is not supported by mkvm: it has no "
		     "user-mode (NAT) network; it takes <interface type='ethernet'> with "
		     "<target dev='TAP' managed='yes|no'/>", type ? type : "");
		free(type);
		return -1;
	}
	free(type);
	if (d->nr_nets == DOMAIN_MAX_NETS)
		return fail(c, n, "more than %d interfaces", DOMAIN_MAX_NETS);
	if (CHILDREN(c, n, iface))
		return -1;
	if (!d->nets[d->nr_nets])
		return fail(c, n, "<interface type='ethernet'> needs <target dev='TAP' managed='yes|no'/>");
	d->nr_nets++;
	return 0;
}

/* Controllers mkvm's machine has anyway (PCIe root, the virtio-serial
 * function of the console) or that ask for nothing (no USB). */
static int parse_controller(struct ctx *c, xmlNode *n)
{
	char *type = attr(n, "type");
	int rc;

	if (!type)
		return fail(c, n, "<controller> needs type='...'");
	if (!strcmp(type, "usb"))
		rc = attr_in(c, n, "model", "none", false);
	else if (!strcmp(type, "pci"))
		rc = attr_in(c, n, "model", "pcie-root", false);
	else if (!strcmp(type, "virtio-serial"))
		rc = attr_in(c, n, "model", "virtio|virtio-non-transitional", true);
	else
		rc = fail(c, n, "<controller type='%s'> is not supported by mkvm "
			  "(supported: usb model='none', pci model='pcie-root', virtio-serial)", type);
	free(type);
	return rc ? rc : CHILDREN(c, n, ((const struct elem[]){ ADDRESS }));
}

static int parse_serial_target(struct ctx *c, xmlNode *n)
{
	if (attr_in(c, n, "type", "isa-serial", true) || attr_in(c, n, "port", "0", true))
		return -1;
	return CHILDREN(c, n, ((const struct elem[]){ { "model", ATTRS("name"), NULL } }));
}

static int parse_serial_log(struct ctx *c, xmlNode *n)
{
	char *file = attr(n, "file");

	if (!file)
		return fail(c, n, "<log> needs file='...'");
	if (attr_in(c, n, "append", "off", true)) {
		free(file);
		return -1;
	}
	return set_once(c, n, &c->d->serial_log, file);
}

static int parse_serial_source(struct ctx *c, xmlNode *n)
{
	char *path = attr(n, "path");

	if (!path)
		return fail(c, n, "<source> of a file serial port needs path='...'");
	return set_once(c, n, &c->d->serial_log, path);
}

/* COM1: on a pty mkvm's terminal stands in for the pty; its <log> file or
 * a file serial port's <source> gets the output instead. */
static int parse_serial(struct ctx *c, xmlNode *n)
{
	static const struct elem pty[] = {
		{ "log",    ATTRS("file", "append"), parse_serial_log },
		{ "target", ATTRS("type", "port"), parse_serial_target },
	};
	static const struct elem file[] = {
		{ "source", ATTRS("path"), parse_serial_source },
		{ "target", ATTRS("type", "port"), parse_serial_target },
	};
	char *type = attr(n, "type");
	int rc;

	if (type && !strcmp(type, "pty"))
		rc = CHILDREN(c, n, pty);
	else if (type && !strcmp(type, "file"))
		rc = CHILDREN(c, n, file);
	else
		rc = fail(c, n, "<serial type='%s'> is not supported by mkvm (supported: pty, file)",
			  type ? type : "");
	free(type);
	return rc;
}

static int parse_console_target(struct ctx *c, xmlNode *n)
{
	char *type = attr(n, "type");

	if (attr_in(c, n, "type", "virtio|serial", false) || attr_in(c, n, "port", "0", true)) {
		free(type);
		return -1;
	}
	/* type='serial' is libvirt's second name for COM1, described by <serial>. */
	c->d->console |= !strcmp(type, "virtio");
	free(type);
	return 0;
}

static int parse_console(struct ctx *c, xmlNode *n)
{
	static const struct elem console[] = {
		{ "target",  ATTRS("type", "port"), parse_console_target },
		ADDRESS,
	};
	if (attr_in(c, n, "type", "pty", false))
		return -1;
	return CHILDREN(c, n, console);
}

static int parse_rng_backend(struct ctx *c, xmlNode *n)
{
	char *t = text(n);
	int rc = 0;

	if (attr_in(c, n, "model", "random", false))
		rc = -1;
	else if (t && *t && strcmp(t, "/dev/urandom") && strcmp(t, "/dev/random"))
		rc = fail(c, n, "rng backend '%s' is not supported by mkvm (it uses "
			  "getrandom(), like /dev/urandom)", t);
	free(t);
	return rc;
}

/* <rate bytes='N' period='MS'/>: N bytes per period (1000 ms if absent). */
static int parse_rng_rate(struct ctx *c, xmlNode *n)
{
	char *b = attr(n, "bytes"), *p = attr(n, "period"), *end;
	uint64_t bytes = 0, period = 1000;
	int rc = 0;

	errno = 0;
	if (b && *b >= '0' && *b <= '9')
		bytes = strtoull(b, &end, 10);
	if (!b || *b < '0' || *b > '9' || errno || *end || !bytes)
		rc = fail(c, n, "<rate> needs bytes='N', a number above 0");
	if (!rc && p) {
		period = *p >= '0' && *p <= '9' ? strtoull(p, &end, 10) : 0;
		if (errno || *end || !period)
			rc = fail(c, n, "<rate period='%s'> must be milliseconds above 0", p);
	}
	if (!rc && bytes > UINT64_MAX / 1000)
		rc = fail(c, n, "<rate bytes='%s'> is too large", b);
	if (!rc)
		c->d->rng_limit.bytes_per_s = bytes * 1000 / period ? bytes * 1000 / period : 1;
	free(b);
	free(p);
	return rc;
}

static int parse_rng(struct ctx *c, xmlNode *n)
{
	static const struct elem rng[] = {
		{ "backend", ATTRS("model"), parse_rng_backend },
		{ "rate",    ATTRS("bytes", "period"), parse_rng_rate },
		ADDRESS,
	};
	if (attr_in(c, n, "model", "virtio|virtio-non-transitional", false) ||
	    CHILDREN(c, n, rng))
		return -1;
	c->d->rng = true;
	return 0;
}

static int parse_memballoon(struct ctx *c, xmlNode *n)
{
	return attr_in(c, n, "model", "none", false);
}

static int parse_devices(struct ctx *c, xmlNode *n)
{
	static const struct elem devices[] = {
		{ "emulator",   NO_ATTRS, NULL },
		{ "disk",       ATTRS("type", "device", "model"), parse_disk },
		{ "interface",  ATTRS("type"), parse_interface },
		{ "controller", ATTRS("type", "index", "model"), parse_controller },
		{ "serial",     ATTRS("type"), parse_serial },
		{ "console",    ATTRS("type"), parse_console },
		{ "rng",        ATTRS("model"), parse_rng },
		{ "memballoon", ATTRS("model"), parse_memballoon },
	};
	return CHILDREN(c, n, devices);
}

static int parse_domain(struct ctx *c, xmlNode *root)
{
	static const struct elem top[] = {
		{ "name",          NO_ATTRS, parse_name },
		{ "uuid",          NO_ATTRS, NULL },
		{ "title",         NO_ATTRS, NULL },
		{ "description",   NO_ATTRS, NULL },
		{ "memory",        ATTRS("unit"), parse_memory },
		{ "currentMemory", ATTRS("unit"), parse_current_memory },
		{ "vcpu",          ATTRS("placement"), parse_vcpu },
		{ "os",            NO_ATTRS, parse_os },
		{ "features",      NO_ATTRS, parse_features },
		{ "cpu",           ATTRS("mode"), parse_cpu },
		{ "on_poweroff",   NO_ATTRS, parse_lifecycle },
		{ "on_reboot",     NO_ATTRS, parse_lifecycle },
		{ "on_crash",      NO_ATTRS, parse_lifecycle },
		{ "devices",       NO_ATTRS, parse_devices },
	};
	const struct elem domain = { "domain", ATTRS("type", "id"), NULL };

	if (!is(root->name, "domain") || root->ns)
		return fail(c, root, "the root element is <%s>, not a libvirt <domain>", root->name);
	/* mkvm is a KVM VMM; a type='qemu' (TCG) domain runs the same guest. */
	if (check(c, &domain, root) || attr_in(c, root, "type", "kvm|qemu", false) ||
	    CHILDREN(c, root, top))
		return -1;
	if (!c->d->name)
		return fail(c, root, "the domain has no <name>");
	if (!c->d->kernel)
		return fail(c, root, "the domain has no <os><kernel> (mkvm boots a PVH kernel directly)");
	if (!c->d->mem)
		return fail(c, root, "the domain has no <memory>");
	if (c->current_mem && c->current_mem != c->d->mem)
		return fail(c, root, "<currentMemory> below <memory> (ballooning) is not supported by mkvm");
	return 0;
}

/* SAX hook at a <!DOCTYPE ...>: before its internal subset is read, stops
 * the parser and records the line in the int at _private. A domain file
 * never needs a DTD, and entity declarations could read files (external)
 * or expand a small file into gigabytes of text (internal). */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id,
			   const xmlChar *sys_id)
{
	xmlParserCtxtPtr pc = ctx;

	(void)name, (void)ext_id, (void)sys_id;
	*(int *)pc->_private = xmlSAX2GetLineNumber(ctx);
	xmlStopParser(pc);
}

int domain__parse_buffer(struct domain *d, const char *buf, size_t len,
			 const char *name, char *err, size_t errlen)
{
	struct ctx c = { .file = name, .d = d, .err = err, .errlen = errlen };
	xmlParserCtxtPtr pc;
	xmlDocPtr doc;
	int rc;

	memset(d, 0, sizeof(*d));
	d->cpus = 1;
	if (len > DOMAIN_MAX_FILE)
		return fail(&c, NULL, "larger than %u bytes", DOMAIN_MAX_FILE);
	pc = xmlNewParserCtxt();
	if (!pc)
		return fail(&c, NULL, "out of memory");
	/* No network, no DOCTYPE (so no entities), errors reported here not
	 * on stderr. */
	int doctype_line = 0;
	pc->_private = &doctype_line;
	pc->sax->internalSubset = refuse_doctype;
	doc = xmlCtxtReadMemory(pc, buf, (int)len, name, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doctype_line) {
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(pc);
		snprintf(err, errlen, "%s:%d: a DOCTYPE (DTD or entity declarations) is "
			 "not accepted in a domain file", name, doctype_line);
		return -1;
	}
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(pc);
		size_t off;

		snprintf(err, errlen, "%s:%d: not well-formed XML: %s", name,
			 e ? e->line : 0, e && e->message ? e->message : "parse error");
		off = strlen(err);
		while (off && err[off - 1] == '\n')
			err[--off] = '\0';
		xmlFreeParserCtxt(pc);
		return -1;
	}
	rc = parse_domain(&c, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(pc);
	if (rc)
		domain__free(d);
	return rc;
}

int domain__parse_file(struct domain *d, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t len;
	int rc;

	memset(d, 0, sizeof(*d));
	if (!f) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(DOMAIN_MAX_FILE + 1);
	len = buf ? fread(buf, 1, DOMAIN_MAX_FILE + 1, f) : 0;
	if (!buf || ferror(f)) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
			 buf ? strerror(errno) : "out of memory");
		rc = -1;
	} else {
		rc = domain__parse_buffer(d, buf, len, path, err, errlen);
	}
	free(buf);
	fclose(f);
	return rc;
}

void domain__free(struct domain *d)
{
	free(d->name);
	free(d->kernel);
	free(d->initrd);
	free(d->cmdline);
	free(d->serial_log);
	for (int i = 0; i < DOMAIN_MAX_DISKS; i++)
		free(d->disks[i].path);
	for (int i = 0; i < DOMAIN_MAX_NETS; i++)
		free(d->nets[i]);
	memset(d, 0, sizeof(*d));
}

int domain__apply(const struct domain *d, struct config *cfg, char *err, size_t errlen)
{
	if (d->mem < CLI_MIN_MEM || d->mem > CLI_MAX_MEM) {
		snprintf(err, errlen, "domain '%s': <memory> of %llu bytes is out of range (4M to 512G)",
			 d->name, (unsigned long long)d->mem);
		return -1;
	}
	if (d->cpus > CLI_MAX_CPUS || d->nr_disks > CLI_MAX_DISKS || d->nr_nets > CLI_MAX_NETS) {
		snprintf(err, errlen, "domain '%s': more than mkvm's %d vCPUs, %d disks or %d interfaces",
			 d->name, CLI_MAX_CPUS, CLI_MAX_DISKS, CLI_MAX_NETS);
		return -1;
	}
	cfg->kernel = d->kernel;
	cfg->initrd = d->initrd;
	cfg->cmdline = d->cmdline;
	cfg->serial = d->serial_log;
	cfg->mem = d->mem;
	cfg->cpus = d->cpus;
	for (int i = 0; i < d->nr_disks; i++)
		cfg->disks[i] = (struct cli_disk){ .path = d->disks[i].path,
						   .readonly = d->disks[i].readonly,
						   .limit = d->disks[i].limit };
	cfg->nr_disks = d->nr_disks;
	for (int i = 0; i < d->nr_nets; i++)
		cfg->nets[i] = (struct cli_net){ .spec = d->nets[i] };
	cfg->nr_nets = d->nr_nets;
	cfg->console = d->console;
	cfg->rng = d->rng;
	cfg->rng_limit = d->rng_limit;
	return 0;
}
