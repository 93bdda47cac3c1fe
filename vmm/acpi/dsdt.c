/* The DSDT's definition block: what an ACPI operating system needs to find
 * mkvm's devices and to power the machine off. In ASL:
 *
 *   Name (\_S5, Package () { 5, 0, 0, 0 })   // SLP_TYP 5 in PM1a_CNT
 *   Scope (\_SB) {
 *     Device (PCI0) {                        // the host bridge, segment 0
 *       Name (_HID, EisaId ("PNP0A08"))      // PCI Express root bridge
 *       Name (_CID, EisaId ("PNP0A03"))      // PCI root bridge
 *       Name (_SEG, 0)  Name (_BBN, 0)  Name (_UID, 0)
 *       Name (_CRS, ResourceTemplate () {
 *         WordBusNumber (0 .. PCI_BUS_LAST)  // as MCFG says
 *         IO (0xCF8, 8)                      // configuration mechanism #1
 *         WordIO (PCI_PIO window)            // where mkvm puts I/O BARs
 *         DWordMemory (PCI_MMIO window)      // where mkvm puts memory BARs
 *       })
 *       Method (_OSC, 4) { ... }             // see osc()
 *     }
 *     Device (MRES) {                        // motherboard resources
 *       Name (_HID, EisaId ("PNP0C02"))
 *       Name (_CRS, ResourceTemplate () { Memory32Fixed (ECAM) })
 *     }
 *   }
 *
 * Devices interrupt by MSI-X only (their Interrupt Pin is 0), so there is
 * no _PRT: nothing is wired to INTx. Linux creates its root bus from PCI0,
 * scans buses _BBN..PCI_BUS_LAST through MCFG's ECAM (reserved by MRES),
 * and keeps the BARs mkvm assigned because they lie inside the windows of
 * _CRS. */
#include <string.h>

#include "acpi/acpi.h"
#include "acpi/aml.h"
#include "layout.h"

#define OSC_CDW1_BAD_UUID      0x04
#define OSC_CDW1_BAD_REVISION  0x08

/* The PCI Firmware Specification 3.3 section 4.5 UUID, as ToUUID() lays
 * out 33db4d5b-1ff7-401c-9657-7441c03dd766. */
static const uint8_t pci_osc_uuid[16] = {
	0x5b, 0x4d, 0xdb, 0x33, 0xf7, 0x1f, 0x1c, 0x40,
	0x96, 0x57, 0x74, 0x41, 0xc0, 0x3d, 0xd7, 0x66,
};

/* Or (CDW1, bit, CDW1) */
static void set_cdw1(struct aml *a, uint8_t bit)
{
	aml__byte(a, AML_OR);
	aml__name(a, "CDW1");
	aml__int(a, bit);
	aml__name(a, "CDW1");
}

/* Method (_OSC, 4) {
 *   CreateDWordField (Arg3, 0, CDW1)
 *   If (Arg0 == ToUUID (PCI host bridge)) {
 *     If (!(Arg1 == 1)) { CDW1 |= 0x08 }       // unknown revision
 *   } Else { CDW1 |= 0x04 }                    // unknown UUID
 *   Return (Arg3)
 * }
 * Returning the capabilities buffer unchanged grants the OS every control
 * it asks for in DWORD 3 (native hot plug, PME, AER, the PCIe capability
 * structure...): mkvm has no firmware that would handle any of them. */
static void osc(struct aml *a)
{
	aml__method_begin(a, "_OSC", 4, false);
	aml__byte(a, AML_CREATE_DWORD_FIELD);
	aml__byte(a, AML_ARG0 + 3);
	aml__int(a, 0);
	aml__name(a, "CDW1");
	aml__if_begin(a);
	aml__byte(a, AML_LEQUAL);
	aml__byte(a, AML_ARG0);
	aml__buffer_begin(a, sizeof(pci_osc_uuid));
	aml__bytes(a, pci_osc_uuid, sizeof(pci_osc_uuid));
	aml__end(a);
	aml__if_begin(a);
	aml__byte(a, AML_LNOT);
	aml__byte(a, AML_LEQUAL);
	aml__byte(a, AML_ARG0 + 1);
	aml__int(a, 1);
	set_cdw1(a, OSC_CDW1_BAD_REVISION);
	aml__end(a);
	aml__end(a);
	aml__else_begin(a);
	set_cdw1(a, OSC_CDW1_BAD_UUID);
	aml__end(a);
	aml__byte(a, AML_RETURN);
	aml__byte(a, AML_ARG0 + 3);
	aml__end(a);
}

static void pci_crs(struct aml *a)
{
	aml__name_decl(a, "_CRS");
	aml__buffer_begin(a, AML_RES_BUS_SIZE + AML_RES_IO_SIZE + AML_RES_WORDIO_SIZE +
			  AML_RES_MEM32_SIZE + AML_RES_END_SIZE);
	aml__res_bus(a, 0, PCI_BUS_LAST);
	aml__res_io(a, 0xcf8, 8);
	aml__res_wordio(a, PCI_PIO_START, PCI_PIO_START + PCI_PIO_SIZE - 1);
	aml__res_mem32(a, PCI_MMIO_START, PCI_MMIO_START + PCI_MMIO_SIZE - 1);
	aml__res_end(a);
	aml__end(a);
}

static void pci_host_bridge(struct aml *a)
{
	aml__device_begin(a, "PCI0");
	aml__name_decl(a, "_HID");
	aml__eisaid(a, "PNP0A08");
	aml__name_decl(a, "_CID");
	aml__eisaid(a, "PNP0A03");
	aml__name_decl(a, "_SEG");
	aml__int(a, 0);
	aml__name_decl(a, "_BBN");
	aml__int(a, 0);
	aml__name_decl(a, "_UID");
	aml__int(a, 0);
	pci_crs(a);
	osc(a);
	aml__end(a);
}

/* Reserves ECAM as a motherboard resource, as the PCI Firmware
 * Specification 3.3 section 4.1.2 asks; Linux checks MCFG's area
 * against the resources of PNP0C02 devices. */
static void motherboard_resources(struct aml *a)
{
	aml__device_begin(a, "MRES");
	aml__name_decl(a, "_HID");
	aml__eisaid(a, "PNP0C02");
	aml__name_decl(a, "_CRS");
	aml__buffer_begin(a, AML_RES_FIXMEM_SIZE + AML_RES_END_SIZE);
	aml__res_fixmem(a, PCI_ECAM_START, PCI_ECAM_SIZE);
	aml__res_end(a);
	aml__end(a);
	aml__end(a);
}

size_t acpi__dsdt_aml(uint8_t *buf, size_t size)
{
	struct aml a;

	aml__init(&a, buf, size);
	aml__name_decl(&a, "\\_S5");
	aml__package_begin(&a, 4);
	aml__int(&a, 5);
	for (int i = 0; i < 3; i++)
		aml__int(&a, 0);
	aml__end(&a);
	aml__scope_begin(&a, "\\_SB");
	pci_host_bridge(&a);
	motherboard_resources(&a);
	aml__end(&a);
	return a.full || a.depth ? 0 : a.len;
}
