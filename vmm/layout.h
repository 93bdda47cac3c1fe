/* The guest physical address map mkvm builds (see docs/vmm.md).
 *
 *   0x0000_0000  RAM; page 0 left unused
 *   0x0000_1000  struct hvm_start_info, module list, memory map
 *   0x0000_2000  kernel command line (BOOT_CMDLINE_MAX bytes)
 *   0x0000_3000  free low RAM ... 0x0009_FFFF
 *   0x000E_0000  ACPI tables (RSDP first), 64 KiB, typed ACPI in the map
 *   0x000F_0000  SMBIOS entry point and tables, 64 KiB, typed reserved
 *   0x0010_0000  RAM: kernel segments at their p_paddr; the boot module
 *                goes page-aligned at the top of low RAM
 *   0xC000_0000  32-bit hole: PCI BAR window (memory)
 *   0xE000_0000  PCI ECAM, bus 0 only (1 MiB)
 *   0xFEC0_0000  IOAPIC
 *   0xFEE0_0000  local APICs
 *   0x1_0000_0000 RAM above 3 GiB, when --mem is larger than that
 */
#ifndef MKVM_LAYOUT_H
#define MKVM_LAYOUT_H

#define BOOT_INFO_ADDR     0x1000ull
#define BOOT_INFO_SIZE     0x1000ull
#define BOOT_CMDLINE_ADDR  0x2000ull
#define BOOT_CMDLINE_MAX   0x1000ull  /* including the NUL */
#define LOW_RAM_END        0xA0000ull
#define ACPI_ADDR          0xE0000ull
#define ACPI_SIZE          0x10000ull
#define SMBIOS_ADDR        0xF0000ull  /* where a non-EFI OS scans for _SM3_ */
#define SMBIOS_SIZE        0x10000ull
#define HIGH_RAM_START     0x100000ull

#define MEM_HOLE_START     0xC0000000ull
#define HIGH_MEM_START     0x100000000ull

#define PCI_MMIO_START     0xC0000000ull
#define PCI_MMIO_SIZE      0x20000000ull
#define PCI_ECAM_START     0xE0000000ull
#define PCI_BUS_LAST       0            /* one bus; MCFG and the DSDT say 0..0 */
#define PCI_ECAM_SIZE      ((PCI_BUS_LAST + 1) * 0x100000ull)  /* 32 slots x 8 fns x 4 KiB a bus */
#define PCI_PIO_START      0x6000ull
#define PCI_PIO_SIZE       0xA000ull

#define IOAPIC_ADDR        0xFEC00000ull
#define LAPIC_ADDR         0xFEE00000ull

/* Legacy ports. */
#define COM1_PORT          0x3f8
#define COM1_IRQ           4
#define PM1A_EVT_PORT      0x600      /* ACPI PM1a event block, 4 bytes */
#define PM1A_CNT_PORT      0x604      /* ACPI PM1a control block, 2 bytes */
#define RESET_PORT         0xcf9      /* also the FADT reset register */

#endif
