/* ELF64 kernels with a PVH entry note: parsing and validation work on a
 * byte buffer (the mapped file), so the checks are unit-tested without a
 * VM. Nothing in the file is trusted. */
#ifndef MKVM_BOOT_ELF_H
#define MKVM_BOOT_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t paddr, offset, filesz, memsz;
};

struct elf_image {
	uint32_t entry;          /* XEN_ELFNOTE_PHYS32_ENTRY */
	int nr_segments;         /* PT_LOAD segments with memsz > 0 */
	struct elf_segment seg[ELF_MAX_SEGMENTS];
	uint64_t end;            /* highest paddr + memsz */
};

/* Validates buf as an x86-64 ELF64 executable with a PVH note and
 * non-overlapping PT_LOAD segments. Returns -1 with the reason in err. */
int elf__parse(const uint8_t *buf, size_t size, struct elf_image *img,
	       char *err, size_t errlen);

/* Checks every segment lies in [ram_start, ram_end) and the entry point in
 * a segment. */
int elf__check_placement(const struct elf_image *img, uint64_t ram_start,
			 uint64_t ram_end, char *err, size_t errlen);

/* The value of the symbol `name` in buf's symbol table (SHT_SYMTAB), if
 * the file has one and names it: 0, or -1 (absent, stripped or
 * malformed: every offset is checked against size). */
int elf__symbol(const uint8_t *buf, size_t size, const char *name, uint64_t *value);

/* Copies the segments into guest RAM (ram = host address of GPA 0, at
 * least img->end bytes) and zeroes their bss. */
void elf__load(const struct elf_image *img, const uint8_t *buf, uint8_t *ram);

#endif
