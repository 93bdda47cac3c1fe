/* A libvirt domain XML file read into a struct domain with libxml2.
 *
 * Every element and attribute is looked up in a table of what mkvm
 * supports (the devices' elements of <devices> in their declarations,
 * device.h); the first one that is not there is an error naming it and its
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
#include "device.h"

#define DOMAIN_MAX_FILE (1u << 20)
#define DOMAIN_MAX_CPUS 1024

struct domain_ctx {
	const char *file;
	struct domain *d;
	uint64_t current_mem;
	char *err;
	size_t errlen;
};

int domain__fail(struct domain_ctx *c, const xmlNode *n, const char *fmt, ...)
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

char *domain__attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

int domain__attr_in(struct domain_ctx *c, const xmlNode *n, const char *name,
		    const char *allowed, bool optional)
{
	char *v = domain__attr(n, name);
	int rc = 0;

	if (!v) {
		if (!optional)
			rc = domain__fail(c, n, "<%s> needs %s='...' (mkvm supports %s)",
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
		rc = domain__fail(c, n, "<%s %s='%s'> is not supported by mkvm (supported: %s)",
				  n->name, name, v, allowed);
	free(v);
	return rc;
}

char *domain__text(const xmlNode *n)
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

static int text_is(struct domain_ctx *c, const xmlNode *n, const char *want, const char *why)
{
	char *t = domain__text(n);
	int rc = 0;

	if (!t || strcmp(t, want))
		rc = domain__fail(c, n, "<%s>%s</%s> is not supported by mkvm (%s)",
				  n->name, t ? t : "", n->name, why);
	free(t);
	return rc;
}

int domain__set_once(struct domain_ctx *c, const xmlNode *n, char **dst, char *value)
{
	if (!value)
		return domain__fail(c, n, "out of memory");
	if (*dst) {
		free(value);
		return domain__fail(c, n, "<%s> given twice", n->name);
	}
	*dst = value;
	return 0;
}

int domain__number(struct domain_ctx *c, const xmlNode *n, uint64_t *out)
{
	char *t = domain__text(n), *end;
	int rc = 0;

	errno = 0;
	*out = t && t[0] >= '0' && t[0] <= '9' ? strtoull(t, &end, 10) : 0;
	if (!t || t[0] < '0' || t[0] > '9' || errno || *end)
		rc = domain__fail(c, n, "<%s> must be a decimal number, not '%s'", n->name,
				  t ? t : "");
	free(t);
	return rc;
}

/* check: n's attributes are all in e->attrs, then e->parse(n). */
static int check(struct domain_ctx *c, const struct domain_elem *e, xmlNode *n)
{
	for (xmlAttr *a = n->properties; a; a = a->next) {
		bool ok = false;

		for (size_t i = 0; i < sizeof(e->attrs) / sizeof(e->attrs[0]) &&
				   e->attrs[i] && !ok; i++)
			ok = !a->ns && is(a->name, e->attrs[i]);
		if (!ok)
			return domain__fail(c, n, "attribute '%s' of <%s> is not supported by mkvm",
					    a->name, n->name);
	}
	return e->parse ? e->parse(c, n) : 0;
}

int domain__children(struct domain_ctx *c, xmlNode *n, const struct domain_elem *elems,
		     size_t nr)
{
	for (xmlNode *k = n->children; k; k = k->next) {
		size_t i;

		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (k->ns)
			return domain__fail(c, k, "<%s:%s> (a hypervisor-specific extension) is "
					    "not supported by mkvm",
					    k->ns->prefix ? (const char *)k->ns->prefix : "", k->name);
		for (i = 0; i < nr && !is(k->name, elems[i].name); i++)
			;
		if (i == nr)
			return domain__fail(c, k, "<%s> in <%s> is not supported by mkvm",
					    k->name, n->name);
		if (check(c, &elems[i], k))
			return -1;
	}
	return 0;
}

/* Memory sizes: libvirt's units, KiB when none is given. */
static int parse_size(struct domain_ctx *c, xmlNode *n, uint64_t *out)
{
	static const struct { const char *unit; uint64_t mul; } units[] = {
		{ "b", 1 }, { "bytes", 1 }, { "KB", 1000 }, { "k", 1ull << 10 },
		{ "KiB", 1ull << 10 }, { "MB", 1000000 }, { "M", 1ull << 20 },
		{ "MiB", 1ull << 20 }, { "GB", 1000000000 }, { "G", 1ull << 30 },
		{ "GiB", 1ull << 30 }, { "TB", 1000000000000ull }, { "T", 1ull << 40 },
		{ "TiB", 1ull << 40 },
	};
	char *unit = domain__attr(n, "unit");
	uint64_t v, mul = 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(unit ? unit : "KiB", units[i].unit))
			mul = units[i].mul;
	if (!mul) {
		domain__fail(c, n, "unknown memory unit '%s'", unit);
		free(unit);
		return -1;
	}
	free(unit);
	if (domain__number(c, n, &v))
		return -1;
	if (v > UINT64_MAX / mul)
		return domain__fail(c, n, "<%s> is too large", n->name);
	*out = v * mul;
	return 0;
}

/* set_nonempty: set_once for an element whose text must not be empty. */
static int set_nonempty(struct domain_ctx *c, xmlNode *n, char **dst)
{
	char *t = domain__text(n);

	if (t && !*t) {
		free(t);
		return domain__fail(c, n, "<%s> is empty", n->name);
	}
	return domain__set_once(c, n, dst, t);
}

static int parse_name(struct domain_ctx *c, xmlNode *n)
{
	return set_nonempty(c, n, &c->d->name);
}

static int parse_memory(struct domain_ctx *c, xmlNode *n)
{
	if (c->d->mem)
		return domain__fail(c, n, "<memory> given twice");
	if (parse_size(c, n, &c->d->mem))
		return -1;
	return c->d->mem ? 0 : domain__fail(c, n, "<memory> must not be 0");
}

static int parse_current_memory(struct domain_ctx *c, xmlNode *n)
{
	return parse_size(c, n, &c->current_mem);
}

static int parse_vcpu(struct domain_ctx *c, xmlNode *n)
{
	uint64_t v;

	if (domain__attr_in(c, n, "placement", "static", true) || domain__number(c, n, &v))
		return -1;
	if (v < 1 || v > DOMAIN_MAX_CPUS)
		return domain__fail(c, n, "<vcpu> must be 1 to %d", DOMAIN_MAX_CPUS);
	c->d->cpus = (int)v;
	return 0;
}

static int parse_os_type(struct domain_ctx *c, xmlNode *n)
{
	if (domain__attr_in(c, n, "arch", "x86_64", true))
		return -1;
	return text_is(c, n, "hvm", "mkvm runs full (hvm) x86-64 guests");
}

static int parse_kernel(struct domain_ctx *c, xmlNode *n)
{
	return set_nonempty(c, n, &c->d->kernel);
}

static int parse_initrd(struct domain_ctx *c, xmlNode *n)
{
	return domain__set_once(c, n, &c->d->initrd, domain__text(n));
}

static int parse_cmdline(struct domain_ctx *c, xmlNode *n)
{
	return domain__set_once(c, n, &c->d->cmdline, domain__text(n));
}

static int parse_os(struct domain_ctx *c, xmlNode *n)
{
	static const struct domain_elem os[] = {
		{ "type",    DOMAIN_ATTRS("arch", "machine"), parse_os_type },
		{ "kernel",  DOMAIN_NO_ATTRS, parse_kernel },
		{ "initrd",  DOMAIN_NO_ATTRS, parse_initrd },
		{ "cmdline", DOMAIN_NO_ATTRS, parse_cmdline },
	};
	return DOMAIN_CHILDREN(c, n, os);
}

/* mkvm always gives the guest ACPI tables and an APIC, and long mode. */
static int parse_features(struct domain_ctx *c, xmlNode *n)
{
	static const struct domain_elem features[] = {
		{ "acpi", DOMAIN_NO_ATTRS, NULL },
		{ "apic", DOMAIN_NO_ATTRS, NULL },
		{ "pae",  DOMAIN_NO_ATTRS, NULL },
	};
	return DOMAIN_CHILDREN(c, n, features);
}

/* mkvm passes the host's CPUID through, which these modes all ask for. */
static int parse_cpu(struct domain_ctx *c, xmlNode *n)
{
	if (domain__attr_in(c, n, "mode", "host-passthrough|maximum|host-model", true))
		return -1;
	return domain__children(c, n, NULL, 0);
}

static int parse_lifecycle(struct domain_ctx *c, xmlNode *n)
{
	return text_is(c, n, "destroy", "mkvm ends the run on guest poweroff, reset and crash");
}

/* Controllers mkvm's machine has anyway (PCIe root, the virtio-serial
 * function of the console) or that ask for nothing (no USB). */
static int parse_controller(struct domain_ctx *c, xmlNode *n)
{
	char *type = domain__attr(n, "type");
	int rc;

	if (!type)
		return domain__fail(c, n, "<controller> needs type='...'");
	if (!strcmp(type, "usb"))
		rc = domain__attr_in(c, n, "model", "none", false);
	else if (!strcmp(type, "pci"))
		rc = domain__attr_in(c, n, "model", "pcie-root", false);
	else if (!strcmp(type, "virtio-serial"))
		rc = domain__attr_in(c, n, "model", "virtio|virtio-non-transitional", true);
	else
		rc = domain__fail(c, n, "<controller type='%s'> is not supported by mkvm "
				  "(supported: usb model='none', pci model='pcie-root', "
				  "virtio-serial)", type);
	free(type);
	return rc ? rc : DOMAIN_CHILDREN(c, n, ((const struct domain_elem[]){ DOMAIN_ADDRESS }));
}

static int parse_serial_target(struct domain_ctx *c, xmlNode *n)
{
	if (domain__attr_in(c, n, "type", "isa-serial", true) ||
	    domain__attr_in(c, n, "port", "0", true))
		return -1;
	return DOMAIN_CHILDREN(c, n, ((const struct domain_elem[]){
		{ "model", DOMAIN_ATTRS("name"), NULL },
	}));
}

static int parse_serial_log(struct domain_ctx *c, xmlNode *n)
{
	char *file = domain__attr(n, "file");

	if (!file)
		return domain__fail(c, n, "<log> needs file='...'");
	if (domain__attr_in(c, n, "append", "off", true)) {
		free(file);
		return -1;
	}
	return domain__set_once(c, n, &c->d->serial_log, file);
}

static int parse_serial_source(struct domain_ctx *c, xmlNode *n)
{
	char *path = domain__attr(n, "path");

	if (!path)
		return domain__fail(c, n, "<source> of a file serial port needs path='...'");
	return domain__set_once(c, n, &c->d->serial_log, path);
}

/* COM1: on a pty mkvm's terminal stands in for the pty; its <log> file or
 * a file serial port's <source> gets the output instead. */
static int parse_serial(struct domain_ctx *c, xmlNode *n)
{
	static const struct domain_elem pty[] = {
		{ "log",    DOMAIN_ATTRS("file", "append"), parse_serial_log },
		{ "target", DOMAIN_ATTRS("type", "port"), parse_serial_target },
	};
	static const struct domain_elem file[] = {
		{ "source", DOMAIN_ATTRS("path"), parse_serial_source },
		{ "target", DOMAIN_ATTRS("type", "port"), parse_serial_target },
	};
	char *type = domain__attr(n, "type");
	int rc;

	if (type && !strcmp(type, "pty"))
		rc = DOMAIN_CHILDREN(c, n, pty);
	else if (type && !strcmp(type, "file"))
		rc = DOMAIN_CHILDREN(c, n, file);
	else
		rc = domain__fail(c, n, "<serial type='%s'> is not supported by mkvm "
				  "(supported: pty, file)", type ? type : "");
	free(type);
	return rc;
}

static int parse_memballoon(struct domain_ctx *c, xmlNode *n)
{
	return domain__attr_in(c, n, "model", "none", false);
}

/* The machine's own elements, then each declared device's (device.h). */
static int parse_devices(struct domain_ctx *c, xmlNode *n)
{
	static const struct domain_elem machine[] = {
		{ "emulator",   DOMAIN_NO_ATTRS, NULL },
		{ "controller", DOMAIN_ATTRS("type", "index", "model"), parse_controller },
		{ "serial",     DOMAIN_ATTRS("type"), parse_serial },
		{ "memballoon", DOMAIN_ATTRS("model"), parse_memballoon },
	};
	const size_t nr_machine = sizeof(machine) / sizeof(machine[0]);
	struct domain_elem elems[sizeof(machine) / sizeof(machine[0]) + DEVICE_MAX];
	const struct device_decl *devs[DEVICE_MAX];
	int nr_devs = device__list(devs);
	size_t nr = nr_machine;

	memcpy(elems, machine, sizeof(machine));
	for (int i = 0; i < nr_devs; i++)
		if (devs[i]->domain)
			elems[nr++] = *devs[i]->domain;
	return domain__children(c, n, elems, nr);
}

static int parse_domain(struct domain_ctx *c, xmlNode *root)
{
	static const struct domain_elem top[] = {
		{ "name",          DOMAIN_NO_ATTRS, parse_name },
		{ "uuid",          DOMAIN_NO_ATTRS, NULL },
		{ "title",         DOMAIN_NO_ATTRS, NULL },
		{ "description",   DOMAIN_NO_ATTRS, NULL },
		{ "memory",        DOMAIN_ATTRS("unit"), parse_memory },
		{ "currentMemory", DOMAIN_ATTRS("unit"), parse_current_memory },
		{ "vcpu",          DOMAIN_ATTRS("placement"), parse_vcpu },
		{ "os",            DOMAIN_NO_ATTRS, parse_os },
		{ "features",      DOMAIN_NO_ATTRS, parse_features },
		{ "cpu",           DOMAIN_ATTRS("mode"), parse_cpu },
		{ "on_poweroff",   DOMAIN_NO_ATTRS, parse_lifecycle },
		{ "on_reboot",     DOMAIN_NO_ATTRS, parse_lifecycle },
		{ "on_crash",      DOMAIN_NO_ATTRS, parse_lifecycle },
		{ "devices",       DOMAIN_NO_ATTRS, parse_devices },
	};
	const struct domain_elem domain = { "domain", DOMAIN_ATTRS("type", "id"), NULL };

	if (!is(root->name, "domain") || root->ns)
		return domain__fail(c, root, "the root element is <%s>, not a libvirt <domain>",
				    root->name);
	/* mkvm is a KVM VMM; a type='qemu' (TCG) domain runs the same guest. */
	if (check(c, &domain, root) || domain__attr_in(c, root, "type", "kvm|qemu", false) ||
	    DOMAIN_CHILDREN(c, root, top))
		return -1;
	if (!c->d->name)
		return domain__fail(c, root, "the domain has no <name>");
	if (!c->d->kernel)
		return domain__fail(c, root, "the domain has no <os><kernel> (mkvm boots a PVH "
				    "kernel directly)");
	if (!c->d->mem)
		return domain__fail(c, root, "the domain has no <memory>");
	if (c->current_mem && c->current_mem != c->d->mem)
		return domain__fail(c, root, "<currentMemory> below <memory> (ballooning) is not "
				    "supported by mkvm");
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
	struct domain_ctx c = { .file = name, .d = d, .err = err, .errlen = errlen };
	xmlParserCtxtPtr pc;
	xmlDocPtr doc;
	int rc;

	memset(d, 0, sizeof(*d));
	d->cpus = 1;
	device__reset_all();
	if (len > DOMAIN_MAX_FILE)
		return domain__fail(&c, NULL, "larger than %u bytes", DOMAIN_MAX_FILE);
	pc = xmlNewParserCtxt();
	if (!pc)
		return domain__fail(&c, NULL, "out of memory");
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
	device__reset_all();
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
	memset(d, 0, sizeof(*d));
	device__reset_all();
}

int domain__apply(const struct domain *d, struct config *cfg, char *err, size_t errlen)
{
	if (d->mem < CLI_MIN_MEM || d->mem > CLI_MAX_MEM) {
		snprintf(err, errlen, "domain '%s': <memory> of %llu bytes is out of range (4M to 512G)",
			 d->name, (unsigned long long)d->mem);
		return -1;
	}
	if (d->cpus > CLI_MAX_CPUS) {
		snprintf(err, errlen, "domain '%s': more than mkvm's %d vCPUs", d->name,
			 CLI_MAX_CPUS);
		return -1;
	}
	cfg->kernel = d->kernel;
	cfg->initrd = d->initrd;
	cfg->cmdline = d->cmdline;
	cfg->serial = d->serial_log;
	cfg->mem = d->mem;
	cfg->cpus = d->cpus;
	return 0;
}
