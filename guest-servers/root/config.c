/* The boot configuration (boot.cfg in the boot module): one program a
 * line, its name and the words that say what it is given. The format is
 * explained at the top of guest-servers/boot.cfg. */
#include "programs.h"

static bool word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && !memcmp(w, s, n);
}

static bool parse_hex(const char *s, size_t n, uint64_t *v)
{
	*v = 0;
	if (!n || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
		if (d > 15)
			return false;
		*v = *v << 4 | d;
	}
	return true;
}

static void copy_word(char *dst, size_t cap, const char *w, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, w, n);
	dst[n] = 0;
}

/* One option word of a configuration line; false if it is malformed. */
static bool parse_option(struct prog_cfg *c, const char *w, size_t n)
{
	uint64_t a, b;
	const char *eq = w;
	while (eq < w + n && *eq != '=')
		eq++;
	size_t k = (size_t)(eq - w), vn = eq < w + n ? n - k - 1 : 0;
	const char *v = eq + 1;
	if (word_is(w, n, "restart"))
		c->restart = true;
	else if (word_is(w, n, "manual"))
		c->manual = true;
	else if (word_is(w, n, "privileged"))
		c->privileged = true;
	else if (word_is(w, n, "supervise"))
		c->supervise = true;
	else if (word_is(w, n, "wait"))
		c->wait = true;
	else if (word_is(w, n, "pci=any"))
		c->pci_any = true;
	else if (word_is(w, n, "dma"))
		c->dma = true;
	else if (word_is(w, n, "pci-admin"))
		c->pci_admin = true;
	else if (word_is(w, n, "ecam"))
		c->ecam = true;
	else if (word_is(w, n, "devmem"))
		c->devmem = true;
	else if (word_is(w, n, "irq=msi"))
		c->irq_msi = true;
	else if (word_is(w, n, "fork"))
		c->fork = true;
	else if (word_is(w, n, "zones=gate") || word_is(w, n, "zones=kernel")) {
		c->zones = true;
		c->zones_kernel = w[6] == 'k';
	}
	else if (word_is(w, k, "elf") && vn && vn < sizeof(c->elf))
		copy_word(c->elf, sizeof(c->elf), v, vn);
	else if (word_is(w, k, "pci") && vn == 9 && v[4] == ':' && parse_hex(v, 4, &a) && parse_hex(v + 5, 4, &b))
		c->pci_id = (uint32_t)(a | b << 16);
	else if (word_is(w, k, "io") && vn > 2) {
		const char *plus = v;
		while (plus < v + vn && *plus != '+')
			plus++;
		if (plus == v + vn || !parse_hex(v, (size_t)(plus - v), &a) ||
		    !parse_hex(plus + 1, (size_t)(v + vn - plus - 1), &b) || !b || a + b > 0x10000 ||
		    c->nio == MAX_IO)
			return false;
		c->io[c->nio].port = (uint16_t)a;
		c->io[c->nio++].count = (uint16_t)b;
	} else if (word_is(w, k, "pages") && parse_hex(v, vn, &a) && a && a <= MAX_PROG_PAGES)
		c->max_pages = (uint32_t)a;
	else if (word_is(w, k, "persist") && parse_hex(v, vn, &a) && a && a <= MKVM_PERSIST_MAX_PAGES)
		c->persist_pages = (uint32_t)a;
	else if (word_is(w, k, "kmem") && parse_hex(v, vn, &a) && a <= 0x100000)
		c->kmem = (uint32_t)a;
	else if (word_is(w, k, "when") && vn && vn < sizeof(c->when))
		copy_word(c->when, sizeof(c->when), v, vn);
	else if (word_is(w, k, "arg") && vn) {
		size_t have = strlen(c->args);
		if (have + vn + 2 > sizeof(c->args))
			return false;
		if (have)
			c->args[have++] = ' ';
		copy_word(c->args + have, sizeof(c->args) - have, v, vn);
	} else
		return false;
	return true;
}

/* Parses one line into c; false (after printing why) if it is malformed. */
static bool parse_line(struct prog_cfg *c, const char *line, size_t len, unsigned lineno)
{
	memset(c, 0, sizeof(*c));
	c->max_pages = DEFAULT_PAGES;
	c->kmem = DEFAULT_KMEM;
	size_t i = 0;
	for (bool first = true;; first = false) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			return true;
		size_t s = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		if (first) {
			if (i - s >= MKVM_NAME_MAX) {
				printf("root: boot.cfg line %u: program name too long\n", lineno);
				return false;
			}
			copy_word(c->name, sizeof(c->name), line + s, i - s);
		} else if (!parse_option(c, line + s, i - s)) {
			char w[64];
			copy_word(w, sizeof(w), line + s, i - s);
			printf("root: boot.cfg line %u: bad option \"%s\"\n", lineno, w);
			return false;
		}
	}
}

/* Is one of the words of when (comma-separated) on the command line? */
static bool when_matches(const char *when, const char *cmdline)
{
	char w[64];
	for (const char *p = when; *p;) {
		size_t n = 0;
		while (p[n] && p[n] != ',')
			n++;
		copy_word(w, sizeof(w), p, n);
		if (cmdline_has(cmdline, w))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

bool config_autostart(const struct prog_cfg *c, const char *cmdline)
{
	return !c->manual && (!c->when[0] || when_matches(c->when, cmdline));
}


void config_parse(const char *cfg, uint64_t len, void (*add)(const struct prog_cfg *c, unsigned lineno))
{
	unsigned lineno = 0;
	for (uint64_t i = 0; i < len;) {
		uint64_t s = i;
		while (i < len && cfg[i] != '\n')
			i++;
		uint64_t e = i++;
		lineno++;
		for (uint64_t k = s; k < e; k++)
			if (cfg[k] == '#')
				e = k;
		struct prog_cfg c;
		if (parse_line(&c, cfg + s, e - s, lineno) && c.name[0])
			add(&c, lineno);
	}
}
