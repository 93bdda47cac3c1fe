/* Command-line parsing. Options are long, in the style of QEMU and
 * cloud-hypervisor: "--mem 512M" or "--mem=512M". Adding an option is one
 * row in the table and one case in cli__apply(). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "errmsg.h"
#include "gdb/gdb.h"
#include "seccomp.h"

enum opt_id {
	OPT_KERNEL, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS, OPT_SERIAL,
	OPT_NO_HOST_CHECK, OPT_PROBE, OPT_STATS, OPT_HELP, OPT_VERSION, OPT_GDB, OPT_GDB_WAIT,
	OPT_DISK, OPT_NET, OPT_CONSOLE, OPT_RNG, OPT_DOMAIN, OPT_NO_IRQFD,
	OPT_NO_SECCOMP, OPT_SECCOMP_SELFTEST, OPT_USER, OPT_GROUP,
};

enum { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL /* only as --name=ARG */ };

struct option_def {
	const char *name;
	enum opt_id id;
	int has_arg;
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
	{ "disk",          OPT_DISK,          ARG_REQUIRED, "virtio-blk on raw image FILE[,readonly][,LIMITS] (repeatable)" },
	{ "net",           OPT_NET,           ARG_REQUIRED, "virtio-net on tap=NAME or user-loopback[,LIMITS] (repeatable)" },
	{ "console",       OPT_CONSOLE,       ARG_NONE,     "virtio-console on stdio (stdin goes to it, not COM1)" },
	{ "rng",           OPT_RNG,           ARG_OPTIONAL, "virtio-rng fed by the host's getrandom(); --rng=LIMITS to limit it" },
	{ "no-irqfd",      OPT_NO_IRQFD,      ARG_NONE,     "send virtio interrupts with KVM_SIGNAL_MSI, not irqfd" },
	{ "gdb",           OPT_GDB,           ARG_REQUIRED, "serve gdb on tcp:[HOST:]PORT (HOST defaults to localhost) or unix:PATH" },
	{ "gdb-wait",      OPT_GDB_WAIT,      ARG_NONE,     "with --gdb: no guest instruction runs before gdb attaches" },
	{ "domain",        OPT_DOMAIN,        ARG_REQUIRED, "boot the libvirt domain XML FILE (docs/libvirt.md)" },
	{ "no-seccomp",    OPT_NO_SECCOMP,    ARG_NONE,     "no system call filters (for debugging; see below)" },
	{ "user",          OPT_USER,          ARG_REQUIRED, "run as this user (name or id) once disks and TAPs are open" },
	{ "group",         OPT_GROUP,         ARG_REQUIRED, "and this group (default: the user's primary group)" },
	/* Test hook, not in --help: threads of kind ARG (main, vcpu, worker,
	 * gdb) make a forbidden system call once confined. */
	{ "seccomp-selftest", OPT_SECCOMP_SELFTEST, ARG_REQUIRED, NULL },
};

#define NR_OPTIONS (sizeof(options) / sizeof(options[0]))

int cli__parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case '\0':                 break;
	case 'k': case 'K': mul = 1ull << 10; p++; break;
	case 'm': case 'M': mul = 1ull << 20; p++; break;
	case 'g': case 'G': mul = 1ull << 30; p++; break;
	default:            return -1;
	}
	if (*p != '\0' || (v && v > UINT64_MAX / mul))
		return -1;
	*out = v * mul;
	return 0;
}

/* A plain decimal number. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

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

/* One rate-limit key of a device option, "rate=SIZE" (bytes a second)
 * or "ops=N" (requests a second), n bytes at s. Returns 1 when s is one
 * (and sets it in l), 0 when it is not, -1 (with err) when it is malformed. */
static int parse_limit_key(const char *opt, const char *s, size_t n,
			   struct rate_limit *l, char *err, size_t errlen)
{
	char v[32];
	uint64_t *out;
	bool bytes = n > 5 && !strncmp(s, "rate=", 5);

	if (!bytes && !(n > 4 && !strncmp(s, "ops=", 4)))
		return 0;
	out = bytes ? &l->bytes_per_s : &l->ops_per_s;
	s += bytes ? 5 : 4;
	n -= bytes ? 5 : 4;
	if (n >= sizeof(v))
		return errmsg(err, errlen, "--%s: '%.*s' is too long", opt, (int)n, s);
	memcpy(v, s, n);
	v[n] = '\0';
	if ((bytes ? cli__parse_size(v, out) : parse_u64(v, out)) || !*out)
		return errmsg(err, errlen, bytes ?
			      "--%s: rate=%s: expected bytes a second above 0 (e.g. 10M)" :
			      "--%s: ops=%s: expected requests a second above 0", opt, v);
	return 1;
}

/* Takes ",readonly", ",rate=SIZE" and ",ops=N" off the end of arg; returns
 * the length of what is left (the file or backend), or -1 with err. The
 * last comma must start a known key; the first one that does not ends the
 * keys, so a file name may hold commas. */
static int strip_keys(const char *opt, const char *arg, bool allow_readonly,
		      bool *readonly, struct rate_limit *l, char *err, size_t errlen)
{
	size_t end = strlen(arg);

	for (bool first = true;; first = false) {
		const char *comma = memrchr(arg, ',', end);
		size_t klen = comma ? end - (size_t)(comma + 1 - arg) : 0;
		int r = comma ? parse_limit_key(opt, comma + 1, klen, l, err, errlen) : 0;

		if (r < 0)
			return -1;
		if (!r && comma && allow_readonly && klen == 8 &&
		    !strncmp(comma + 1, "readonly", 8)) {
			*readonly = true;
			r = 1;
		}
		if (!r) {
			if (first && comma)
				return errmsg(err, errlen, "--%s %s: unknown option '%.*s'",
					      opt, arg, (int)klen, comma + 1);
			return (int)end;
		}
		end = (size_t)(comma - arg);
	}
}

/* FILE[,readonly][,rate=SIZE][,ops=N]. */
static int parse_disk(struct config *cfg, const char *arg, char *err, size_t errlen)
{
	struct cli_disk *d = &cfg->disks[cfg->nr_disks];
	int len;

	if (cfg->nr_disks == CLI_MAX_DISKS)
		return errmsg(err, errlen, "--disk: at most %d disks", CLI_MAX_DISKS);
	*d = (struct cli_disk){ 0 };
	len = strip_keys("disk", arg, true, &d->readonly, &d->limit, err, errlen);
	if (len < 0)
		return -1;
	if (len == 0)
		return errmsg(err, errlen, "--disk: no file name (FILE[,readonly][,rate=SIZE][,ops=N])");
	d->path = arg[len] ? strndup(arg, (size_t)len) : arg;
	if (!d->path)
		return errmsg(err, errlen, "--disk: out of memory");
	cfg->nr_disks++;
	return 0;
}

/* tap=NAME or user-loopback, then [,rate=SIZE][,ops=N]; the device checks
 * NAME when it opens it. */
static int parse_net(struct config *cfg, const char *arg, char *err, size_t errlen)
{
	struct cli_net *n = &cfg->nets[cfg->nr_nets];
	int len;

	if (cfg->nr_nets == CLI_MAX_NETS)
		return errmsg(err, errlen, "--net: at most %d interfaces", CLI_MAX_NETS);
	*n = (struct cli_net){ 0 };
	if (strncmp(arg, "tap=", 4) && strncmp(arg, "user-loopback", 13))
		return errmsg(err, errlen, "--net %s: expected tap=NAME or user-loopback", arg);
	len = strip_keys("net", arg, false, NULL, &n->limit, err, errlen);
	if (len < 0)
		return -1;
	n->spec = arg[len] ? strndup(arg, (size_t)len) : arg;
	if (!n->spec)
		return errmsg(err, errlen, "--net: out of memory");
	if (strncmp(n->spec, "tap=", 4) && strcmp(n->spec, "user-loopback"))
		return errmsg(err, errlen, "--net %s: expected tap=NAME or user-loopback", arg);
	cfg->nr_nets++;
	return 0;
}

/* --rng or --rng=rate=SIZE[,ops=N] (keys in any order). */
static int parse_rng(struct config *cfg, const char *arg, char *err, size_t errlen)
{
	cfg->rng = true;
	if (!arg)
		return 0;
	for (const char *p = arg;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int r = parse_limit_key("rng", p, n, &cfg->rng_limit, err, errlen);

		if (r < 0)
			return -1;
		if (!r)
			return errmsg(err, errlen, "--rng=%s: unknown option '%.*s' "
				      "(--rng[=rate=SIZE][,ops=N])", arg, (int)n, p);
		if (!comma)
			return 0;
		p = comma + 1;
	}
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
	case OPT_DISK:    return parse_disk(cfg, arg, err, errlen);
	case OPT_NET:     return parse_net(cfg, arg, err, errlen);
	case OPT_CONSOLE: cfg->console = true; break;
	case OPT_RNG:     return parse_rng(cfg, arg, err, errlen);
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

static const struct option_def *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_OPTIONS; i++)
		if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len))
			return &options[i];
	return NULL;
}

int cli__parse(struct config *cfg, int argc, char *const argv[],
	       char *err, size_t errlen)
{
	bool only_operands = false;

	memset(cfg, 0, sizeof(*cfg));
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
		const char *arg = NULL;

		if (!o)
			return errmsg(err, errlen, "unknown option '%s' (see --help)", a);
		if (o->has_arg == ARG_REQUIRED) {
			if (eq)
				arg = eq + 1;
			else if (i + 1 < argc)
				arg = argv[++i];
			else
				return errmsg(err, errlen, "--%s needs an argument", o->name);
		} else if (o->has_arg == ARG_OPTIONAL) {
			arg = eq ? eq + 1 : NULL;
		} else if (eq) {
			return errmsg(err, errlen, "--%s takes no argument", o->name);
		}
		if (cli__apply(cfg, o, arg, err, errlen))
			return -1;
	}
	if (cfg->gdb_wait && !cfg->gdb)
		return errmsg(err, errlen, "--gdb-wait needs --gdb");
	if (cfg->domain && (cfg->kernel || cfg->initrd || cfg->cmdline || cfg->serial ||
			    cfg->mem != CLI_DEFAULT_MEM || cfg->cpus != 1 || cfg->nr_disks ||
			    cfg->nr_nets || cfg->console || cfg->rng))
		return errmsg(err, errlen, "--domain gives the kernel, initrd, cmdline, memory, "
			    "vCPUs, serial log and devices; do not give them as well");
	if (!cfg->kernel && !cfg->domain && !cfg->probe && !cfg->help && !cfg->version)
		return errmsg(err, errlen, "no kernel given (mkvm [options] KERNEL, see --help)");
	return 0;
}

void cli__usage(FILE *out)
{
	fprintf(out, "usage: mkvm [options] KERNEL\n"
		     "       mkvm --probe\n\n"
		     "Boots a PVH ELF64 kernel on KVM.\n\noptions:\n");
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		const struct option_def *o = &options[i];
		char left[32];

		if (!o->help)
			continue;
		snprintf(left, sizeof(left), "--%s%s", o->name,
			 o->has_arg == ARG_REQUIRED ? " ARG" :
			 o->has_arg == ARG_OPTIONAL ? "[=ARG]" : "");
		fprintf(out, "  %-20s %s\n", left, o->help);
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
