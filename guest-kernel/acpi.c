/* ACPI discovery: the RSDP from the boot info, then the XSDT (or RSDT),
 * the MADT for the IOAPIC and ISA interrupt overrides, and the MCFG for
 * PCI ECAM (reported for the user-level PCI server). */
#include "kernel.h"

uint64_t ioapic_phys;
uint32_t irq_gsi[16];
uint16_t irq_flags[16];
uint64_t ecam_base;

struct sdt {
	char sig[4];
	uint32_t len;
	uint8_t rev, sum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static bool checksum_ok(const void *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += ((const uint8_t *)p)[i];
	return s == 0;
}

static void madt_parse(const struct sdt *t)
{
	const uint8_t *p = (const uint8_t *)t + sizeof(*t) + 8, *end = (const uint8_t *)t + t->len;
	for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
		if (p[0] == 1 && !ioapic_phys) {
			uint32_t a;
			memcpy(&a, p + 4, 4);
			ioapic_phys = a;
		} else if (p[0] == 2 && p[3] < 16) {
			memcpy(&irq_gsi[p[3]], p + 4, 4);
			memcpy(&irq_flags[p[3]], p + 8, 2);
		}
	}
}

static void table_found(const struct sdt *t)
{
	if (!memcmp(t->sig, "APIC", 4))
		madt_parse(t);
	else if (!memcmp(t->sig, "MCFG", 4) && t->len >= sizeof(*t) + 8 + 16)
		memcpy(&ecam_base, (const uint8_t *)t + sizeof(*t) + 8, 8);
}

void acpi_init(void)
{
	for (int i = 0; i < 16; i++)
		irq_gsi[i] = i;
	const uint8_t *rsdp = boot.rsdp ? P2V(boot.rsdp) : NULL;
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) || !checksum_ok(rsdp, 20)) {
		kprintf("acpi: no valid RSDP; assuming IOAPIC at fec00000\n");
		ioapic_phys = 0xfec00000;
		return;
	}
	uint64_t root;
	int entry = 8;
	if (rsdp[15] >= 2) {
		memcpy(&root, rsdp + 24, 8);
	} else {
		uint32_t r;
		memcpy(&r, rsdp + 16, 4);
		root = r;
		entry = 4;
	}
	const struct sdt *rt = P2V(root);
	for (uint32_t off = sizeof(*rt); off + entry <= rt->len; off += entry) {
		uint64_t pa = 0;
		memcpy(&pa, (const uint8_t *)rt + off, entry);
		const struct sdt *t = P2V(pa);
		if (checksum_ok(t, t->len))
			table_found(t);
	}
	if (!ioapic_phys)
		ioapic_phys = 0xfec00000;
	kprintf("acpi: ioapic %lx, pci ecam %lx, isa irq0 -> gsi %u\n", ioapic_phys, ecam_base, irq_gsi[0]);
}
