/* ACPI tables: checksums, links between tables, MADT entries per CPU,
 * the DSDT's PCI host bridge against MCFG and the BAR windows, and the
 * AML encoder (acpi/aml.c). */
#include <string.h>

#include "acpi/acpi.h"
#include "acpi/aml.h"
#include "layout.h"
#include "pci/pci.h"
#include "buses.h"
#include "unit.h"

static uint8_t buf[ACPI_SIZE];

static const struct acpi_header *table_at(uint64_t gpa)
{
	if (gpa < ACPI_ADDR || gpa >= ACPI_ADDR + sizeof(buf))
		return NULL;
	return (const struct acpi_header *)(buf + (gpa - ACPI_ADDR));
}

/* Returns the table sig from the XSDT, checking its checksum. */
static const struct acpi_header *find(const char *sig)
{
	const struct acpi_rsdp *rsdp = (const void *)buf;
	const struct acpi_header *xsdt = table_at(rsdp->xsdt_address);
	int n = (int)(xsdt->length - sizeof(*xsdt)) / 8;

	for (int i = 0; i < n; i++) {
		uint64_t a;

		memcpy(&a, (const uint8_t *)(xsdt + 1) + 8 * i, 8);
		const struct acpi_header *t = table_at(a);

		if (t && !memcmp(t->signature, sig, 4))
			return acpi__sum(t, t->length) == 0 ? t : NULL;
	}
	return NULL;
}

static void build(int cpus)
{
	memset(buf, 0, sizeof(buf));
	CHECK(acpi__build(buf, sizeof(buf), ACPI_ADDR, cpus) > 0);
}

TEST(vmm_acpi_rsdp_and_xsdt)
{
	build(1);
	const struct acpi_rsdp *rsdp = (const void *)buf;

	CHECK(!memcmp(rsdp->signature, "RSD PTR ", 8));
	CHECK(rsdp->revision == 2 && rsdp->length == 36);
	CHECK(acpi__sum(rsdp, 20) == 0);
	CHECK(acpi__sum(rsdp, 36) == 0);
	const struct acpi_header *xsdt = table_at(rsdp->xsdt_address);

	REQUIRE(xsdt);
	CHECK(!memcmp(xsdt->signature, "XSDT", 4));
	CHECK(acpi__sum(xsdt, xsdt->length) == 0);
	CHECK(xsdt->length == sizeof(*xsdt) + 3 * 8);
	CHECK(find("FACP") && find("APIC") && find("MCFG"));
}

TEST(vmm_acpi_fadt_dsdt_facs)
{
	build(1);
	const struct acpi_header *f = find("FACP");

	REQUIRE(f);
	CHECK(f->length == 276 && f->revision == 6);
	const uint8_t *p = (const uint8_t *)f;
	uint32_t facs, dsdt32, pm1a_cnt;
	uint64_t xdsdt;

	memcpy(&facs, p + 36, 4);
	memcpy(&dsdt32, p + 40, 4);
	memcpy(&pm1a_cnt, p + 64, 4);
	memcpy(&xdsdt, p + 140, 8);
	CHECK(pm1a_cnt == PM1A_CNT_PORT && p[89] == 2);  /* PM1_CNT_LEN */
	uint16_t boot_arch;
	memcpy(&boot_arch, p + 109, 2);
	CHECK(boot_arch == ((1 << 2) | (1 << 5)));     /* no VGA, no CMOS RTC, no 8042 */
	CHECK(dsdt32 == xdsdt);
	const struct acpi_header *d = table_at(xdsdt);

	REQUIRE(d);
	CHECK(!memcmp(d->signature, "DSDT", 4) && acpi__sum(d, d->length) == 0);
	CHECK(memmem(d + 1, d->length - sizeof(*d), "_S5_", 4) != NULL);
	const struct acpi_header *fa = table_at(facs);

	REQUIRE(fa);
	CHECK(!memcmp(fa->signature, "FACS", 4) && fa->length == 64);
}

/* Counts MADT entries of type; checks their lengths. */
static int madt_count(const struct acpi_header *m, int type, int *apic_ids)
{
	const uint8_t *p = (const uint8_t *)m + sizeof(*m) + 8, *end = (const uint8_t *)m + m->length;
	int n = 0;

	while (p < end) {
		if (p[1] < 2 || p + p[1] > end)
			return -1;
		if (p[0] == type) {
			if (apic_ids)
				apic_ids[n] = p[3];
			n++;
		}
		p += p[1];
	}
	return n;
}

TEST(vmm_acpi_madt_per_cpu_count)
{
	static const int counts[] = { 1, 2, 4, 64 };

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		int ids[64];

		build(counts[c]);
		const struct acpi_header *m = find("APIC");

		REQUIRE(m);
		uint32_t lapic;

		memcpy(&lapic, m + 1, 4);
		CHECK(lapic == LAPIC_ADDR);
		CHECK(madt_count(m, MADT_LAPIC, ids) == counts[c]);
		for (int i = 0; i < counts[c]; i++)
			CHECK(ids[i] == i);
		CHECK(madt_count(m, MADT_IOAPIC, NULL) == 1);
		CHECK(madt_count(m, MADT_OVERRIDE, NULL) == 2);
	}
	/* IRQ0 -> GSI 2 override. */
	build(1);
	const struct acpi_header *m = find("APIC");
	const uint8_t *p = (const uint8_t *)m + sizeof(*m) + 8 + 8 + 12;
	uint32_t gsi;

	memcpy(&gsi, p + 4, 4);
	CHECK(p[0] == MADT_OVERRIDE && p[3] == 0 && gsi == 2);
}

TEST(vmm_acpi_mcfg)
{
	build(1);
	const struct acpi_header *m = find("MCFG");

	REQUIRE(m);
	const uint8_t *e = (const uint8_t *)(m + 1) + 8;
	uint64_t base;

	CHECK(m->length == sizeof(*m) + 8 + 16);
	memcpy(&base, e, 8);
	CHECK(base == PCI_ECAM_START && e[10] == 0 && e[11] == PCI_BUS_LAST);
}

/* Decodes the PkgLength at p (ACPI 6.4 section 20.2.4): returns the
 * length it encodes and sets *n to the bytes it takes. */
static uint32_t pkglen(const uint8_t *p, int *n)
{
	uint32_t len;

	*n = 1 + (p[0] >> 6);
	if (*n == 1)
		return p[0] & 0x3f;
	len = p[0] & 0xf;
	for (int i = 1; i < *n; i++)
		len |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return len;
}

struct span { const uint8_t *p; uint32_t len; };

/* The body of Device (name) in [p, p + len): from its name to its end. */
static struct span device(struct span in, const char *name)
{
	for (uint32_t i = 0; i + 6 < in.len; i++) {
		const uint8_t *d = in.p + i;
		int n;

		if (d[0] != 0x5b || d[1] != 0x82)
			continue;
		uint32_t len = pkglen(d + 2, &n);

		if (!memcmp(d + 2 + n, name, 4) && i + 2 + len <= in.len)
			return (struct span){ d + 2 + n, len - (uint32_t)n };
	}
	return (struct span){ NULL, 0 };
}

/* The value of Name (name, Buffer () {...}) inside s: the buffer's bytes. */
static struct span name_buffer(struct span s, const char *name)
{
	for (uint32_t i = 0; s.p && i + 8 < s.len; i++) {
		const uint8_t *d = s.p + i;
		int n;

		if (d[0] != 0x08 || memcmp(d + 1, name, 4) || d[5] != 0x11)
			continue;
		uint32_t len = pkglen(d + 6, &n), size;
		const uint8_t *q = d + 6 + n;

		if (q[0] == 0x0a)
			size = q[1], q += 2;
		else if (q[0] == 0x0b)
			size = (uint32_t)(q[1] | q[2] << 8), q += 3;
		else
			return (struct span){ NULL, 0 };
		if (q + size != d + 6 + len || i + 6 + len > s.len)
			return (struct span){ NULL, 0 };
		return (struct span){ q, size };
	}
	return (struct span){ NULL, 0 };
}

/* The integer of Name (name, Zero/One/BytePrefix/DWordPrefix) inside s,
 * or -1. */
static int64_t name_int(struct span s, const char *name)
{
	for (uint32_t i = 0; s.p && i + 6 < s.len; i++) {
		const uint8_t *d = s.p + i;
		uint32_t v;

		if (d[0] != 0x08 || memcmp(d + 1, name, 4))
			continue;
		switch (d[5]) {
		case 0x00: return 0;
		case 0x01: return 1;
		case 0x0a: return d[6];
		case 0x0c: memcpy(&v, d + 6, 4); return v;
		}
		return -1;
	}
	return -1;
}

static uint32_t eisaid(const char *id)
{
	uint8_t b[8];
	struct aml a;
	uint32_t v;

	aml__init(&a, b, sizeof(b));
	aml__eisaid(&a, id);
	memcpy(&v, b + 1, 4);
	return v;
}

struct crs {
	int bus_min, bus_max, nio, nmem, cf8;
	uint32_t io_min[4], io_max[4], mem_min[4], mem_max[4];
	int end_ok;
};

/* The length a descriptor of this tag must give (large items: the bytes
 * after the 3-byte header; small: after the tag byte), or -1. */
static int desc_len(uint8_t tag)
{
	switch (tag) {
	case 0x47: return 7;     /* I/O port */
	case 0x79: return 1;     /* End Tag */
	case 0x86: return 9;     /* 32-bit fixed memory */
	case 0x87: return 23;    /* DWord address space */
	case 0x88: return 13;    /* Word address space */
	}
	return -1;
}

/* Walks a resource template (ACPI 6.4 section 6.4): bus range, I/O and
 * memory windows; end_ok when every descriptor has its type's length and
 * an End Tag closes the template exactly. */
static struct crs parse_crs(struct span r)
{
	struct crs c = { .bus_min = -1, .bus_max = -1 };
	uint32_t i = 0;

	while (r.p && i < r.len) {
		const uint8_t *d = r.p + i;
		uint16_t min16, max16;
		uint32_t min32, max32, len;
		int small = !(d[0] & 0x80);

		len = small ? (uint32_t)(d[0] & 7) : (uint32_t)(d[1] | d[2] << 8);
		if (desc_len(d[0]) != (int)len)
			break;
		if (d[0] == 0x79) {
			c.end_ok = i + 2 == r.len;
			break;
		}
		if (small) {
			if (d[0] == 0x47 && d[2] == 0xf8 && d[3] == 0x0c && d[7] == 8)
				c.cf8 = 1;
			i += 1 + len;
			continue;
		}
		if (d[0] == 0x88) {              /* Word Address Space */
			memcpy(&min16, d + 8, 2);
			memcpy(&max16, d + 10, 2);
			if (d[3] == 2)
				c.bus_min = min16, c.bus_max = max16;
			else if (d[3] == 1 && c.nio < 4)
				c.io_min[c.nio] = min16, c.io_max[c.nio++] = max16;
		} else if (d[0] == 0x87 && d[3] == 0 && c.nmem < 4) {  /* DWord memory */
			memcpy(&min32, d + 10, 4);
			memcpy(&max32, d + 14, 4);
			c.mem_min[c.nmem] = min32, c.mem_max[c.nmem++] = max32;
		}
		i += 3 + len;
	}
	return c;
}

static struct span dsdt_body(void)
{
	const struct acpi_header *f = find("FACP");
	uint64_t x;

	if (!f)
		return (struct span){ NULL, 0 };
	memcpy(&x, (const uint8_t *)f + 140, 8);
	const struct acpi_header *d = table_at(x);

	if (!d || acpi__sum(d, d->length))
		return (struct span){ NULL, 0 };
	return (struct span){ (const uint8_t *)(d + 1), d->length - (uint32_t)sizeof(*d) };
}

/* The MCFG entry: base address, start and end bus. */
static void mcfg_entry(uint64_t *base, int *first, int *last)
{
	const struct acpi_header *m = find("MCFG");
	const uint8_t *e = (const uint8_t *)(m + 1) + 8;

	memcpy(base, e, 8);
	*first = e[10];
	*last = e[11];
}

TEST(vmm_acpi_dsdt_pci_host_bridge)
{
	build(2);
	struct span body = dsdt_body();
	int n;

	REQUIRE(body.p);
	/* The last term, Scope (\_SB), ends exactly with the table. */
	const uint8_t *sb = memmem(body.p, body.len, "\\_SB_", 5);

	REQUIRE(sb && sb - body.p >= 2);
	const uint8_t *scope = sb - 1;

	while (scope > body.p && scope[0] != 0x10)
		scope--;
	REQUIRE(scope[0] == 0x10);
	uint32_t len = pkglen(scope + 1, &n);

	CHECK(scope + 1 + n == sb);
	CHECK(scope + 1 + len == body.p + body.len);
	struct span pci0 = device(body, "PCI0");

	REQUIRE(pci0.p);
	CHECK(pci0.p > sb && pci0.p + pci0.len <= body.p + body.len);
	CHECK(name_int(pci0, "_HID") == eisaid("PNP0A08"));
	CHECK(name_int(pci0, "_CID") == eisaid("PNP0A03"));
	CHECK(name_int(pci0, "_SEG") == 0);
	CHECK(name_int(pci0, "_BBN") == 0);
	CHECK(name_int(pci0, "_UID") == 0);
	/* Method (_OSC, 4): MethodOp, PkgLength, name, flags (4 arguments),
	 * inside PCI0. */
	const uint8_t *osc = memmem(pci0.p, pci0.len, "_OSC", 4);
	int m = 0;

	REQUIRE(osc && osc - pci0.p >= 5);
	for (n = 1; n <= 4 && !m; n++)
		if (osc[-1 - n] == 0x14 && (pkglen(osc - n, &m), m != n))
			m = 0;
	REQUIRE(m);
	CHECK(osc - m + pkglen(osc - m, &n) <= pci0.p + pci0.len);
	CHECK(osc[4] == 4);
	/* \_S5 stays: SLP_TYP 5 is what pm.c powers off on. */
	const uint8_t *s5 = memmem(body.p, body.len, "_S5_", 4);

	REQUIRE(s5);
	CHECK(s5[4] == 0x12 && s5[7] == 0x0a && s5[8] == 5);
}

TEST(vmm_acpi_dsdt_crs_matches_mcfg_and_windows)
{
	build(1);
	struct span body = dsdt_body();
	struct span pci0 = device(body, "PCI0"), mres = device(body, "MRES");
	struct crs c = parse_crs(name_buffer(pci0, "_CRS"));
	struct crs m = parse_crs(name_buffer(mres, "_CRS"));
	uint64_t ecam;
	int first, last;

	REQUIRE(pci0.p && mres.p);
	mcfg_entry(&ecam, &first, &last);
	CHECK(c.end_ok && m.end_ok);
	CHECK(c.bus_min == first && c.bus_max == last);
	CHECK(name_int(pci0, "_BBN") == first);
	CHECK(c.cf8);
	REQUIRE(c.nio == 1 && c.nmem == 1);
	CHECK(c.io_min[0] == PCI_PIO_START && c.io_max[0] == PCI_PIO_START + PCI_PIO_SIZE - 1);
	CHECK(c.mem_min[0] == PCI_MMIO_START &&
	      c.mem_max[0] == PCI_MMIO_START + PCI_MMIO_SIZE - 1);
	/* ECAM lies outside the memory window and is a motherboard resource
	 * of exactly MCFG's size: 1 MiB a bus. */
	CHECK(ecam > c.mem_max[0] || ecam + PCI_ECAM_SIZE <= c.mem_min[0]);
	CHECK(name_int(mres, "_HID") == eisaid("PNP0C02"));
	struct span r = name_buffer(mres, "_CRS");
	uint32_t base, size;

	REQUIRE(r.p && r.len == 12 + 2 && r.p[0] == 0x86 && r.p[1] == 9 && r.p[2] == 0);
	memcpy(&base, r.p + 4, 4);
	memcpy(&size, r.p + 8, 4);
	CHECK(base == ecam && size == (uint32_t)(last - first + 1) << 20);
}

/* mkvm assigns BARs itself (no firmware): they must lie in the windows
 * the DSDT gives, or Linux would move them. */
TEST(vmm_acpi_bars_inside_crs_windows)
{
	static struct pci_device dev = {
		.vendor_id = 0x1af4, .device_id = 0x10ff,
		.bar = { [0] = { .size = 0x4000 }, [1] = { .size = 0x40, .io = true },
			 [2] = { .size = 0x100000 } },
	};

	build(1);
	struct crs c = parse_crs(name_buffer(device(dsdt_body(), "PCI0"), "_CRS"));

	REQUIRE(c.nio == 1 && c.nmem == 1);
	REQUIRE(pci__init(&test_pci, &test_io, &test_irq) == 0 && pci__register(&test_pci, &dev) >= 0);
	for (int b = 0; b < 3; b++) {
		uint32_t a = pci__bar_address(&dev, b), end = a + (uint32_t)dev.bar[b].size - 1;

		if (dev.bar[b].io)
			CHECK(a >= c.io_min[0] && end <= c.io_max[0]);
		else
			CHECK(a >= c.mem_min[0] && end <= c.mem_max[0]);
	}
}

TEST(vmm_aml_pkglength_encodings)
{
	static uint8_t b[0x2000];
	/* body bytes -> total PkgLength -> encoded bytes (ACPI 6.4 20.2.4) */
	static const struct { uint32_t body; uint8_t enc[3]; int n; } cases[] = {
		{ 0,    { 0x01 }, 1 },
		{ 62,   { 0x3f }, 1 },
		{ 63,   { 0x41, 0x04 }, 2 },         /* 65 = 0x41 */
		{ 4093, { 0x4f, 0xff }, 2 },         /* 4095 */
		{ 4094, { 0x81, 0x00, 0x01 }, 3 },   /* 4097 = 0x1001 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct aml a;
		int n;

		aml__init(&a, b, sizeof(b));
		aml__scope_begin(&a, "");        /* ScopeOp, PkgLength, NullName */
		for (uint32_t k = 1; k < cases[i].body; k++)
			aml__byte(&a, 0xa3);         /* Noop */
		if (cases[i].body == 0)
			a.len--;                     /* drop the name for the empty case */
		aml__end(&a);
		REQUIRE(!a.full && a.depth == 0);
		CHECK(b[0] == 0x10);
		CHECK(!memcmp(b + 1, cases[i].enc, (size_t)cases[i].n));
		CHECK(a.len == 1 + (size_t)cases[i].n + cases[i].body);
		CHECK(pkglen(b + 1, &n) == cases[i].body + (uint32_t)cases[i].n && n == cases[i].n);
	}
}

TEST(vmm_aml_names_integers_and_overflow)
{
	uint8_t b[64];
	struct aml a;

	aml__init(&a, b, sizeof(b));
	aml__name(&a, "_S5");
	aml__name(&a, "\\_SB.PCI0");
	aml__name(&a, "\\_SB.PCI0.MRES");
	CHECK(a.len == 4 + 10 + 15);
	CHECK(!memcmp(b, "_S5_", 4));
	CHECK(!memcmp(b + 4, "\\\x2e_SB_PCI0", 10));
	CHECK(!memcmp(b + 14, "\\\x2f\x03_SB_PCI0MRES", 15));

	aml__init(&a, b, sizeof(b));
	aml__int(&a, 0);
	aml__int(&a, 1);
	aml__int(&a, 5);
	aml__int(&a, 0x1234);
	aml__int(&a, 0xc0000000);
	aml__int(&a, 0x100000000ull);
	static const uint8_t want[] = {
		0x00, 0x01, 0x0a, 0x05, 0x0b, 0x34, 0x12, 0x0c, 0, 0, 0, 0xc0,
		0x0e, 0, 0, 0, 0, 1, 0, 0, 0,
	};
	CHECK(a.len == sizeof(want) && !memcmp(b, want, sizeof(want)));
	CHECK(eisaid("PNP0A03") == 0x030ad041);       /* as iasl's EisaId() */

	/* Running out of room marks the result invalid. */
	aml__init(&a, b, 3);
	aml__device_begin(&a, "PCI0");
	aml__end(&a);
	CHECK(a.full);
	CHECK(acpi__dsdt_aml(b, sizeof(b)) == 0);
}

TEST(vmm_acpi_too_small_buffer)
{
	CHECK(acpi__build(buf, 100, ACPI_ADDR, 1) == 0);
	CHECK(acpi__build(buf, 10, ACPI_ADDR, 1) == 0);
}
