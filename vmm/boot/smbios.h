/* SMBIOS tables (DMTF DSP0134 3.0): what an OS reads to name the machine
 * ("DMI: mkvm mkvm, BIOS ..." in Linux's log, /sys/class/dmi/id). A 64-bit
 * entry point ("_SM3_") at the start of the buffer, which the guest sees at
 * SMBIOS_ADDR (layout.h): the paragraph-aligned 0xF0000-0xFFFFF range where
 * an OS without EFI looks for it. Then the structure table: BIOS
 * Information (type 0, marked as describing a virtual machine), System
 * Information (type 1) and End-of-Table (type 127). */
#ifndef MKVM_BOOT_SMBIOS_H
#define MKVM_BOOT_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

#define SMBIOS_TYPE_BIOS    0
#define SMBIOS_TYPE_SYSTEM  1
#define SMBIOS_TYPE_END     127

/* Builds the entry point and the tables into buf (size bytes), which the
 * guest sees at base. Returns the bytes used, or 0 when size is too
 * small. version names the BIOS version (mkvm's own). */
size_t smbios__build(uint8_t *buf, size_t size, uint64_t base, const char *version);

#endif
