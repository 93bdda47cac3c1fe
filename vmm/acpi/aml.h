/* An encoder for the few ACPI Machine Language terms mkvm's DSDT needs
 * (ACPI 6.4 chapter 20, "ACPI Machine Language (AML) Specification").
 *
 * Terms are appended to one buffer. A term with a PkgLength (Scope,
 * Device, Method, If, Else, Buffer, Package) is opened with its aml__*_begin
 * function and closed with aml__end(), which fills in the length in its
 * shortest encoding. Running out of room sets `full` and stops writing;
 * the caller checks it once at the end. Names are ACPI name paths as ASL
 * writes them: "_S5", "PCI0", "\\_SB.PCI0" (segments of up to four
 * characters, padded with '_'). */
#ifndef MKVM_AML_H
#define MKVM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *buf;
	size_t size, len;
	bool full;                   /* out of room or nesting: the result is invalid */
	size_t open[AML_MAX_DEPTH];  /* where each open term's PkgLength goes */
	int depth;
};

/* AML opcodes used by callers directly (ACPI 6.4 section 20.2). */
#define AML_ZERO        0x00
#define AML_ONE         0x01
#define AML_LOCAL0      0x60
#define AML_ARG0        0x68
#define AML_STORE       0x70
#define AML_AND         0x7b
#define AML_OR          0x7d
#define AML_CREATE_DWORD_FIELD 0x8a
#define AML_LNOT        0x92
#define AML_LEQUAL      0x93
#define AML_RETURN      0xa4

void aml__init(struct aml *a, uint8_t *buf, size_t size);

void aml__byte(struct aml *a, uint8_t b);
void aml__bytes(struct aml *a, const void *p, size_t len);

/* A NameString: an optional leading '\' and '.'-separated segments. */
void aml__name(struct aml *a, const char *path);

/* The shortest ComputationalData for v: Zero, One, Byte...QWord prefix. */
void aml__int(struct aml *a, uint64_t v);

/* A compressed EISA id ("PNP0A08") as a DWord, as ASL's EisaId() does. */
void aml__eisaid(struct aml *a, const char *id);

/* Name (path, <the next term>): the caller appends the value. */
void aml__name_decl(struct aml *a, const char *path);

void aml__scope_begin(struct aml *a, const char *path);
void aml__device_begin(struct aml *a, const char *path);
void aml__method_begin(struct aml *a, const char *path, int nargs, bool serialized);
void aml__if_begin(struct aml *a);   /* the caller appends the predicate */
void aml__else_begin(struct aml *a);
/* Buffer of n bytes: the caller appends exactly n bytes. */
void aml__buffer_begin(struct aml *a, size_t n);
void aml__package_begin(struct aml *a, uint8_t elements);
void aml__end(struct aml *a);

/* Resource descriptors (ACPI 6.4 section 6.4) for a ResourceTemplate, in
 * the order a _CRS buffer holds them. Sizes are fixed, so a caller can
 * size the buffer with the AML_RES_* constants. */
#define AML_RES_BUS_SIZE    16   /* WordBusNumber */
#define AML_RES_IO_SIZE     8    /* IO, 16-bit decode, fixed */
#define AML_RES_WORDIO_SIZE 16   /* WordIO range */
#define AML_RES_MEM32_SIZE  26   /* DWordMemory range */
#define AML_RES_FIXMEM_SIZE 12   /* Memory32Fixed */
#define AML_RES_END_SIZE    2    /* EndTag */

void aml__res_bus(struct aml *a, uint16_t min, uint16_t max);
void aml__res_io(struct aml *a, uint16_t base, uint8_t len);
void aml__res_wordio(struct aml *a, uint16_t min, uint16_t max);
void aml__res_mem32(struct aml *a, uint32_t min, uint32_t max);
void aml__res_fixmem(struct aml *a, uint32_t base, uint32_t len);
void aml__res_end(struct aml *a);

#endif
