/* Command-line parsing. Options are long, in the style of QEMU and
 * cloud-hypervisor: "--mem 512M" or "--mem=512M". Adding an option is one
 * row in the table and one case in cli__apply(); a device's option is in
 * its own declaration (device.h) instead. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "device.h"
#include "errmsg.h"
#include "gdb/gdb.h"
#include "seccomp.h"

enum opt_id {
	OPT_KERNEL, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS, OPT_SERIAL,
	OPT_NO_HOST_CHECK, OPT_PROBE, OPT_STATS, OPT_HELP, OPT_VERSION, OPT_GDB, OPT_GDB_WAIT,
	OPT_DEVICES, OPT_DOMAIN, OPT_NO_IRQFD,
	OPT_NO_SECCOMP, OPT_SECCOMP_SELFTEST, OPT_USER, OPT_GROUP, OPT_GDB_OS,
};

struct option_def {
	const char *name;
	enum opt_id id;
	int has_arg;             /* ARG_* (device.h) */
	const char *help;
};

static const struct option_def options[] = {
	{ "kernel",        OPT_KERNEL,        ARG_REQUIRED, "PVH ELF64 kernel to boot" },
	{ "initrd",        OPT_INITRD,        ARG_REQUIRED, "boot module (cpio archive), module 0" },
	{ "cmdline",       OPT_CMDLINE,       ARG_REQUIRED, "kernel command line" },
	{ "mem",           OPT_MEM,           ARG_REQUIRED, "guest RAM, suffix K/M/G (default 256M)" },
	{ "cpus",          OPT_CPUS,          ARG_REQUIRED, "number of vCPUs (default 1)" },
	{ "serial",        OPT_SERIAL,        ARG_REQUIRED, "write COM1 output to FILE, not stdout" },
	{ "no-host-check", OPT_NO_HOST_CHECK, ARG_NONE,     "boot even if the host fails the probe" },
	{ "probe",         OPT_PROBE,         ARG_NONE,     "report what this host's KVM gives a guest" },
	{ "stats",         OPT_STATS,         ARG_NONE,     "print exit counts, interrupt paths and memory use at the end" },
	{ "help",          OPT_HELP,          ARG_NONE,     "this text" },
	{ "version",       OPT_VERSION,       ARG_NONE,     "print the version" },
	/* Not an option: where --help lists the devices' options. */
	{ NULL,            OPT_DEVICES,       ARG_NONE,     NULL },
	{ "no-irqfd",      OPT_NO_IRQFD,      ARG_NONE,     "send virtio interrupts with KVM_SIGNAL_MSI, not irqfd" },
	{ "gdb",           OPT_GDB,           ARG_REQUIRED, "serve gdb on tcp:[HOST:]PORT (HOST defaults to localhost) or unix:PATH" },
	{ "gdb-wait",      OPT_GDB_WAIT,      ARG_NONE,     "with --gdb: no guest instruction runs before gdb attaches" },
	{ "gdb-os",        OPT_GDB_OS,        ARG_REQUIRED, "DIR or off: the guest kernel's spaces as gdb processes, their programs' ELFs in DIR (default: image/ beside --initrd, if there)" },
	{ "domain",        OPT_DOMAIN,        ARG_REQUIRED, "boot the libvirt domain XML FILE (docs/libvirt.md)" },
	{ "no-seccomp",    OPT_NO_SECCOMP,    ARG_NONE,     "no system call filters (for debugging; see below)" },
	{ "user",          OPT_USER,          ARG_REQUIRED, "run as this user (name or id) once disks and TAPs are open" },
	{ "group",         OPT_GROUP,         ARG_REQUIRED, "and this group (default: the user's primary group)" },
	/* Test hook, not in --help: threads of kind ARG (main, vcpu, worker,
	 * gdb) make a forbidden system call once confined. */
	{ "seccomp-selftest", OPT_SECCOMP_SELFTEST, ARG_REQUIRED, NULL },
};

#define NR_OPTIONS (sizeof(options) / sizeof(options[0]))

static int parse_cpus(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || !isdigit((unsigned char)*s))
		return -1;
	if (v < 1 || v > CLI_MAX_CPUS)
		return -1;
	*out = (int)v;
	return 0;
}

static int cli__apply(struct config *cfg, const struct option_def *o,
		      const char *arg, char *err, size_t errlen)
{
	switch (o->id) {
	case OPT_KERNEL:  cfg->kernel = arg;  break;
	case OPT_INITRD:  cfg->initrd = arg;  break;
	case OPT_CMDLINE: cfg->cmdline = arg; break;
	case OPT_SERIAL:  cfg->serial = arg;  break;
	case OPT_NO_HOST_CHECK: cfg->no_host_check = true; break;
	case OPT_PROBE:   cfg->probe = true;   break;
	case OPT_STATS:   cfg->stats = true;   break;
	case OPT_NO_IRQFD: cfg->no_irqfd = true; break;
	case OPT_HELP:    cfg->help = true;    break;
	case OPT_VERSION: cfg->version = true; break;
	case OPT_MEM:
		if (cli__parse_size(arg, &cfg->mem))
			return errmsg(err, errlen, "--mem: malformed size '%s' (e.g. 256M, 1G)", arg);
		if (cfg->mem < CLI_MIN_MEM || cfg->mem > CLI_MAX_MEM)
			return errmsg(err, errlen, "--mem: %s is out of range (4M to 512G)", arg);
		break;
	case OPT_CPUS:
		if (parse_cpus(arg, &cfg->cpus))
			return errmsg(err, errlen, "--cpus: '%s' is not a number from 1 to %d",
				    arg, CLI_MAX_CPUS);
		break;
	case OPT_GDB:
		if (gdb__parse_addr(arg, &(struct gdb_addr){ 0 }, err, errlen))
			return -1;
		cfg->gdb = arg;
		break;
	case OPT_GDB_WAIT: cfg->gdb_wait = true; break;
	case OPT_GDB_OS:
		if (!*arg || strlen(arg) >= CLI_MAX_PATH)
			return errmsg(err, errlen, "--gdb-os: '%s' is not a directory or off", arg);
		cfg->gdb_os = arg;
		break;
	case OPT_DEVICES: break;
	case OPT_DOMAIN:  cfg->domain = arg;   break;
	case OPT_NO_SECCOMP: cfg->no_seccomp = true; break;
	case OPT_USER:    cfg->user = arg;     break;
	case OPT_GROUP:   cfg->group = arg;    break;
	case OPT_SECCOMP_SELFTEST:
		if (!seccomp__kind_valid(arg))
			return errmsg(err, errlen, "--seccomp-selftest: '%s' is not main, vcpu, "
				      "worker or gdb", arg);
		cfg->seccomp_selftest = arg;
		break;
	}
	return 0;
}

static bool name_is(const char *opt, const char *name, size_t len)
{
	return opt && strlen(opt) == len && !strncmp(opt, name, len);
}

static const struct option_def *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_OPTIONS; i++)
		if (name_is(options[i].name, name, len))
			return &options[i];
	return NULL;
}

static const struct device_decl *find_device(const char *name, size_t len)
{
	const struct device_decl *devs[DEVICE_MAX];
	int n = device__list(devs);

	for (int i = 0; i < n; i++)
		if (name_is(devs[i]->option, name, len))
			return devs[i];
	return NULL;
}

int cli__parse(struct config *cfg, int argc, char *const argv[],
	       char *err, size_t errlen)
{
	bool only_operands = false;

	memset(cfg, 0, sizeof(*cfg));
	device__reset_all();
	cfg->mem = CLI_DEFAULT_MEM;
	cfg->cpus = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_operands || a[0] != '-' || a[1] == '\0') {
			if (cfg->kernel)
				return errmsg(err, errlen, "unexpected argument '%s' (kernel already given)", a);
			cfg->kernel = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_operands = true;
			continue;
		}
		if (!strcmp(a, "-h"))
			a = "--help";
		if (a[1] != '-')
			return errmsg(err, errlen, "unknown option '%s' (see --help)", a);

		const char *name = a + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct option_def *o = find_option(name, len);
		const struct device_decl *dev = o ? NULL : find_device(name, len);
		const char *arg = NULL, *oname = o ? o->name : dev ? dev->option : NULL;
		int has_arg = o ? o->has_arg : dev ? dev->has_arg : ARG_NONE;

		if (!oname)
			return errmsg(err, errlen, "unknown option '%s' (see --help)", a);
		if (has_arg == ARG_REQUIRED) {
			if (eq)
				arg = eq + 1;
			else if (i + 1 < argc)
				arg = argv[++i];
			else
				return errmsg(err, errlen, "--%s needs an argument", oname);
		} else if (has_arg == ARG_OPTIONAL) {
			arg = eq ? eq + 1 : NULL;
		} else if (eq) {
			return errmsg(err, errlen, "--%s takes no argument", oname);
		}
		if (o ? cli__apply(cfg, o, arg, err, errlen) :
			dev->parse(arg, err, errlen))
			return -1;
		cfg->nr_device_opts += dev != NULL;
	}
	if (cfg->gdb_wait && !cfg->gdb)
		return errmsg(err, errlen, "--gdb-wait needs --gdb");
	if (cfg->gdb_os && !cfg->gdb)
		return errmsg(err, errlen, "--gdb-os needs --gdb");
	if (cfg->domain && (cfg->kernel || cfg->initrd || cfg->cmdline || cfg->serial ||
			    cfg->mem != CLI_DEFAULT_MEM || cfg->cpus != 1 || cfg->nr_device_opts))
		return errmsg(err, errlen, "--domain gives the kernel, initrd, cmdline, memory, "
			    "vCPUs, serial log and devices; do not give them as well");
	if (!cfg->kernel && !cfg->domain && !cfg->probe && !cfg->help && !cfg->version)
		return errmsg(err, errlen, "no kernel given (mkvm [options] KERNEL, see --help)");
	return 0;
}

static void usage_line(FILE *out, const char *name, int has_arg, const char *help)
{
	char left[32];

	snprintf(left, sizeof(left), "--%s%s", name,
		 has_arg == ARG_REQUIRED ? " ARG" : has_arg == ARG_OPTIONAL ? "[=ARG]" : "");
	fprintf(out, "  %-20s %s\n", left, help);
}

static void usage_devices(FILE *out)
{
	const struct device_decl *devs[DEVICE_MAX];
	int n = device__list(devs);

	for (int i = 0; i < n; i++)
		usage_line(out, devs[i]->option, devs[i]->has_arg, devs[i]->help);
}

void cli__usage(FILE *out)
{
	fprintf(out, "usage: mkvm [options] KERNEL\n"
		     "       mkvm --probe\n\n"
		     "Boots a PVH ELF64 kernel on KVM.\n\noptions:\n");
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		const struct option_def *o = &options[i];

		if (o->id == OPT_DEVICES)
			usage_devices(out);
		else if (o->help)
			usage_line(out, o->name, o->has_arg, o->help);
	}
	fprintf(out, "\nLIMITS (Firecracker-style token buckets, off unless given; a burst of one\n"
		     "  second's worth):  rate=SIZE  bytes a second (suffix K/M/G)\n"
		     "                    ops=N      requests (frames, for --net) a second\n");
	fprintf(out, "\nconfinement: each thread runs under a seccomp allow-list of the system\n"
		     "  calls (and ioctls) it needs once set up; any other call stops mkvm with a\n"
		     "  message naming it (status 10). --no-seccomp turns the filters off.\n"
		     "  mkvm sets no_new_privs; started as root for a TAP device or a disk, give\n"
		     "  --user (and --group) to run as that user once they are open.\n");
	fprintf(out, "\nconsole: COM1 on stdio; Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A\n"
		     "\nexit status: (V << 1) | 1 when the guest writes V to port 0xf4;\n"
		     "  0 guest shutdown, 2 usage, 4 bad image, 6 host cannot run the guest,\n"
		     "  8 guest crash (triple fault), 10 internal error\n");
}
