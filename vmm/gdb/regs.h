/* The x86-64 register file as gdb sees it: one table gives each register's
 * name, size, place in struct gdb_regs and target-description feature, and
 * from it come the 'g'/'G'/'p'/'P' encodings and target.xml, so the packet
 * layout and the description can never disagree. */
#ifndef MKVM_GDB_REGS_H
#define MKVM_GDB_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gdb_regs {
	uint64_t gpr[16];	/* rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
	uint64_t rip;
	uint32_t eflags;
	uint32_t seg[6];	/* cs ss ds es fs gs selectors */
	uint8_t st[8][10];	/* x87 registers, 80-bit */
	uint32_t fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop;
	uint8_t xmm[16][16];
	uint32_t mxcsr;
	uint64_t fs_base, gs_base, k_gs_base;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
};

/* gdb register numbers we refer to by name. */
enum {
	GDB_REG_RDI = 5,
	GDB_REG_RSP = 7,
	GDB_REG_RIP = 16,
	GDB_REG_COUNT = 66,
	/* The first 57 (core and SSE, through mxcsr): what gdb's own amd64
	 * architecture has, for an inferior without this description. */
	GDB_REG_AMD64 = 57,
};

/* Bytes of hex a 'g' reply takes: all registers, or the first
 * GDB_REG_AMD64. */
size_t gdb_regs__hex_size(void);
size_t gdb_regs__hex_size_amd64(void);

/* 'g': encodes every register (target byte order, little endian) into out,
 * which must hold gdb_regs__hex_size() bytes. */
void gdb_regs__encode(const struct gdb_regs *r, char *out);
/* 'G': decodes hex of exactly gdb_regs__hex_size() digits, or of the
 * first GDB_REG_AMD64 registers' (the rest unchanged); false (and r
 * unchanged) on another length or bad digits. */
bool gdb_regs__decode(struct gdb_regs *r, const char *hex, size_t len);
/* 'p': encodes register n into out (at least 32 bytes); returns the number
 * of hex digits, or 0 for a register number we do not have. */
size_t gdb_regs__encode_one(const struct gdb_regs *r, unsigned n, char *out);
/* 'P': sets register n from hex; false on unknown n, wrong length, bad hex. */
bool gdb_regs__decode_one(struct gdb_regs *r, unsigned n, const char *hex,
			  size_t len);

/* The target description (target.xml), NUL-terminated, built once. */
const char *gdb_regs__target_xml(void);

#endif
