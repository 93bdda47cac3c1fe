/* ACPI tables built by mkvm: RSDP -> XSDT -> FADT (-> FACS, DSDT), MADT,
 * MCFG. The DSDT describes the PCI host bridge over the bus range that
 * MCFG's ECAM covers (0..PCI_BUS_LAST). Written into a buffer that the caller places at guest physical
 * address base; every table carries a correct checksum. */
#ifndef MKVM_ACPI_H
#define MKVM_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];       /* "RSD PTR " */
	uint8_t checksum;        /* of the first 20 bytes */
	char oem_id[6];
	uint8_t revision;        /* 2 */
	uint32_t rsdt_address;
	uint32_t length;         /* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

/* MADT entry types used. */
#define MADT_LAPIC     0
#define MADT_IOAPIC    1
#define MADT_OVERRIDE  2

/* Builds the tables for nr_cpus CPUs into buf (size bytes, zeroed by the
 * caller), which the guest sees at base. The RSDP is at offset 0. Returns
 * the bytes used, or 0 when size is too small. */
size_t acpi__build(uint8_t *buf, size_t size, uint64_t base, int nr_cpus);

/* Writes the DSDT's AML (its definition block after the table header)
 * into buf: \_S5 and the PCI host bridge \_SB.PCI0 (dsdt.c). Returns its
 * length, or 0 when size is too small. */
size_t acpi__dsdt_aml(uint8_t *buf, size_t size);

/* Sum of len bytes (a valid table sums to 0). */
uint8_t acpi__sum(const void *p, size_t len);

#endif
