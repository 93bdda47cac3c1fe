/* ACPI tables: checksums, links between tables, MADT entries per CPU. */
#include <string.h>

#include "acpi/acpi.h"
#include "layout.h"
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
	CHECK(base == PCI_ECAM_START && e[10] == 0 && e[11] == 0);  /* bus 0..0 */
}

TEST(vmm_acpi_too_small_buffer)
{
	CHECK(acpi__build(buf, 100, ACPI_ADDR, 1) == 0);
	CHECK(acpi__build(buf, 10, ACPI_ADDR, 1) == 0);
}
