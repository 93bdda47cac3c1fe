/* Table layouts from the ACPI 6.x specification (sections 5.2.5 RSDP,
 * 5.2.8 XSDT, 5.2.9 FADT, 5.2.10 FACS, 5.2.12 MADT) and the PCI Firmware
 * specification (MCFG). The FADT is a full (not hardware-reduced) one so
 * the guest can power off through PM1a_CNT with the _S5 sleep type that
 * the DSDT defines (dsdt.c). */
#include <string.h>

#include "acpi/acpi.h"
#include "layout.h"

#define OEM_ID       "MKVM  "
#define OEM_TABLE_ID "MKVMACPI"
#define ALIGN        16

/* Generic Address Structure, as bytes inside the FADT. */
struct gas {
	uint8_t space, bit_width, bit_offset, access_size;
	uint64_t address;
} __attribute__((packed));

#define GAS_IO(port, bits, acc) ((struct gas){ 1, (bits), 0, (acc), (port) })

struct fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct fadt) == 276, "FADT is 276 bytes (ACPI 6)");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");

#define FADT_WBINVD         (1u << 0)
#define FADT_PWR_BUTTON     (1u << 4)  /* no fixed power button */
#define FADT_SLP_BUTTON     (1u << 5)  /* no fixed sleep button */
#define FADT_RESET_REG_SUP  (1u << 10)
#define BOOT_ARCH_NO_VGA    (1u << 2)
#define BOOT_ARCH_NO_CMOS   (1u << 5)  /* no RTC at 0x70: do not poll it */

#define DSDT_AML_MAX 1024

struct builder {
	uint8_t *buf;
	size_t size, used;
	uint64_t base;
};

uint8_t acpi__sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

/* Reserves len bytes (16-aligned); NULL when full. */
static void *alloc(struct builder *b, size_t len, uint64_t *gpa)
{
	size_t off = (b->used + ALIGN - 1) & ~(size_t)(ALIGN - 1);

	if (off > b->size || b->size - off < len)
		return NULL;
	b->used = off + len;
	*gpa = b->base + off;
	return b->buf + off;
}

static void header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "MKVM", 4);
	h->creator_revision = 1;
}

static void seal(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = (uint8_t)-acpi__sum(h, h->length);
}

static uint64_t build_dsdt(struct builder *b)
{
	uint8_t aml[DSDT_AML_MAX];
	size_t n = acpi__dsdt_aml(aml, sizeof(aml));
	uint32_t len = (uint32_t)(sizeof(struct acpi_header) + n);
	uint64_t gpa;
	struct acpi_header *h = n ? alloc(b, len, &gpa) : NULL;

	if (!h)
		return 0;
	header(h, "DSDT", len, 2);
	memcpy(h + 1, aml, n);
	seal(h);
	return gpa;
}

static uint64_t build_facs(struct builder *b)
{
	uint64_t gpa;
	uint8_t *f = alloc(b, 64, &gpa);
	uint32_t len = 64;

	if (!f)
		return 0;
	memcpy(f, "FACS", 4);
	memcpy(f + 4, &len, 4);
	f[32] = 2;                       /* version */
	return gpa;
}

static uint64_t build_fadt(struct builder *b)
{
	uint64_t gpa, dsdt = build_dsdt(b), facs = build_facs(b);
	struct fadt *f = dsdt && facs ? alloc(b, sizeof(*f), &gpa) : NULL;

	if (!f)
		return 0;
	header(&f->h, "FACP", sizeof(*f), 6);
	f->firmware_ctrl = (uint32_t)facs;
	f->dsdt = (uint32_t)dsdt;
	f->x_firmware_ctrl = 0;          /* only one of the two may be set */
	f->x_dsdt = dsdt;
	f->sci_int = 9;
	f->pm1a_evt_blk = PM1A_EVT_PORT;
	f->pm1a_cnt_blk = PM1A_CNT_PORT;
	f->pm1_evt_len = 4;
	f->pm1_cnt_len = 2;
	f->x_pm1a_evt_blk = GAS_IO(PM1A_EVT_PORT, 32, 2);
	f->x_pm1a_cnt_blk = GAS_IO(PM1A_CNT_PORT, 16, 2);
	f->iapc_boot_arch = BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_CMOS;  /* and no 8042 */
	f->flags = FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_RESET_REG_SUP;
	f->reset_reg = GAS_IO(RESET_PORT, 8, 1);
	f->reset_value = 0x06;
	seal(&f->h);
	return gpa;
}

static uint64_t build_madt(struct builder *b, int nr_cpus)
{
	uint32_t len = sizeof(struct acpi_header) + 8 + 8u * (uint32_t)nr_cpus + 12 + 2 * 10;
	uint64_t gpa;
	struct acpi_header *h = alloc(b, len, &gpa);
	uint8_t *p = (uint8_t *)(h + 1);
	uint32_t lapic = LAPIC_ADDR, pcat_compat = 1, ioapic = IOAPIC_ADDR, gsi, one = 1;
	uint16_t flags;

	if (!h)
		return 0;
	header(h, "APIC", len, 4);
	memcpy(p, &lapic, 4);
	memcpy(p + 4, &pcat_compat, 4);
	p += 8;
	for (int i = 0; i < nr_cpus; i++, p += 8) {
		p[0] = MADT_LAPIC;
		p[1] = 8;
		p[2] = (uint8_t)i;       /* ACPI processor UID */
		p[3] = (uint8_t)i;       /* APIC id */
		memcpy(p + 4, &one, 4);  /* enabled */
	}
	p[0] = MADT_IOAPIC;
	p[1] = 12;
	p[2] = 0;                        /* the in-kernel IOAPIC's reset id */
	memcpy(p + 4, &ioapic, 4);
	p += 12;                         /* GSI base 0 */
	/* ISA IRQ 0 (PIT) is wired to GSI 2; the SCI is level, active high. */
	const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } iso[2] = {
		{ 0, 2, 0 }, { 9, 9, 0x000d },
	};
	for (int i = 0; i < 2; i++, p += 10) {
		p[0] = MADT_OVERRIDE;
		p[1] = 10;
		p[2] = 0;                /* ISA bus */
		p[3] = iso[i].irq;
		gsi = iso[i].gsi;
		flags = iso[i].flags;
		memcpy(p + 4, &gsi, 4);
		memcpy(p + 8, &flags, 2);
	}
	seal(h);
	return gpa;
}

static uint64_t build_mcfg(struct builder *b)
{
	uint32_t len = sizeof(struct acpi_header) + 8 + 16;
	uint64_t gpa, ecam = PCI_ECAM_START;
	struct acpi_header *h = alloc(b, len, &gpa);
	uint8_t *p = (uint8_t *)(h + 1) + 8;

	if (!h)
		return 0;
	header(h, "MCFG", len, 1);
	memcpy(p, &ecam, 8);             /* segment 0 */
	p[10] = 0;                       /* start bus, as the DSDT's _BBN */
	p[11] = PCI_BUS_LAST;            /* end bus, as its _CRS bus range */
	seal(h);
	return gpa;
}

size_t acpi__build(uint8_t *buf, size_t size, uint64_t base, int nr_cpus)
{
	struct builder b = { buf, size, 0, base };
	uint64_t rsdp_gpa, xsdt_gpa, tables[3];
	struct acpi_rsdp *rsdp = alloc(&b, sizeof(*rsdp), &rsdp_gpa);

	if (!rsdp)
		return 0;
	tables[0] = build_fadt(&b);
	tables[1] = build_madt(&b, nr_cpus);
	tables[2] = build_mcfg(&b);
	uint32_t xlen = sizeof(struct acpi_header) + sizeof(tables);
	struct acpi_header *xsdt = alloc(&b, xlen, &xsdt_gpa);

	if (!xsdt || !tables[0] || !tables[1] || !tables[2])
		return 0;
	header(xsdt, "XSDT", xlen, 1);
	memcpy(xsdt + 1, tables, sizeof(tables));
	seal(xsdt);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = (uint8_t)-acpi__sum(rsdp, 20);
	rsdp->extended_checksum = (uint8_t)-acpi__sum(rsdp, sizeof(*rsdp));
	return b.used;
}
