/* Guest page-table walks (vmm/gdb/pgwalk.c) over a fake 8 MiB RAM. */
#include <string.h>
#include "gdb/pgwalk.h"
#include "unit.h"

#define RAM_SIZE (8u << 20)
static uint8_t ram[RAM_SIZE];

static bool ram_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	(void)ctx;
	if (gpa + size > RAM_SIZE)
		return false;
	*val = 0;
	memcpy(val, ram + gpa, size);
	return true;
}

static void put64(uint64_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }
static void put32(uint64_t gpa, uint32_t v) { memcpy(ram + gpa, &v, 4); }

#define P	1ull
#define RW	2ull
#define PS	0x80ull
#define NX	(1ull << 63)

#define CR0_PG	(1ull << 31)
#define CR4_PSE	(1ull << 4)
#define CR4_PAE	(1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_PCIDE (1ull << 17)
#define EFER_LMA (1ull << 10)

static const struct pgwalk_mmu long4 = {
	CR0_PG, 0x1000, CR4_PAE, EFER_LMA | (1 << 8)
};

static bool tr(const struct pgwalk_mmu *m, uint64_t va, uint64_t *gpa,
	       uint64_t *ps)
{
	return pgwalk__translate(m, va, ram_read, NULL, gpa, ps);
}

/* PML4 at 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static void build_long4(void)
{
	memset(ram, 0, RAM_SIZE);
	/* va 0xffff800000000000 + ...: PML4 index 256 */
	put64(0x1000 + 256 * 8, 0x2000 | P | RW);
	put64(0x1000 + 0 * 8, 0x2000 | P | RW);	/* also low half */
	put64(0x2000 + 0 * 8, 0x3000 | P | RW);	/* PDPT[0] -> PD */
	put64(0x2000 + 1 * 8, 0x40000000 | P | RW | PS | NX);	/* 1 GiB */
	put64(0x3000 + 0 * 8, 0x4000 | P | RW);	/* PD[0] -> PT */
	put64(0x3000 + 1 * 8, 0x600000 | P | PS);	/* 2 MiB page */
	put64(0x4000 + 5 * 8, 0x7000 | P | NX);	/* 4 KiB page 5 */
}

TEST(gdb_pgwalk_no_paging_is_identity)
{
	struct pgwalk_mmu m = { 0, 0, 0, 0 };
	uint64_t gpa, ps;

	CHECK(tr(&m, 0x123456, &gpa, &ps) && gpa == 0x123456);
}

TEST(gdb_pgwalk_long_4level)
{
	uint64_t gpa, ps;

	build_long4();
	CHECK(tr(&long4, 0x5123, &gpa, &ps) && gpa == 0x7123 && ps == 4096);
	CHECK(tr(&long4, 0xffff800000005fff, &gpa, &ps) && gpa == 0x7fff);
	CHECK(tr(&long4, 0x200000 + 0x12345, &gpa, &ps) &&
	      gpa == 0x612345 && ps == (2u << 20));
	CHECK(tr(&long4, 0x40000000 + 0x3456789, &gpa, &ps) &&
	      gpa == 0x43456789 && ps == (1u << 30));
	CHECK(!tr(&long4, 0x6000, &gpa, &ps));		/* PTE not present */
	CHECK(!tr(&long4, 0x80000000, &gpa, &ps));	/* PDPTE not present */
	CHECK(!tr(&long4, 0x0000800000000000, &gpa, &ps)); /* non-canonical */
	/* PD beyond the fake RAM: the walk fails instead of reading on */
	put64(0x3000 + 2 * 8, 0x40000000ull | P);
	CHECK(!tr(&long4, 0x400000, &gpa, &ps));
}

TEST(gdb_pgwalk_ignores_pcid_bits_of_cr3)
{
	struct pgwalk_mmu m = long4;
	uint64_t gpa, ps;

	build_long4();
	m.cr4 |= CR4_PCIDE;
	m.cr3 = 0x1000 | 0x7ff;		/* PCID 0x7ff */
	CHECK(tr(&m, 0x5010, &gpa, &ps) && gpa == 0x7010);
	m.cr3 = 0x1000 | 0x18;		/* PWT/PCD without PCIDE */
	m.cr4 &= ~CR4_PCIDE;
	CHECK(tr(&m, 0x5010, &gpa, &ps) && gpa == 0x7010);
}

TEST(gdb_pgwalk_long_5level)
{
	struct pgwalk_mmu m = long4;
	uint64_t gpa, ps;

	build_long4();
	m.cr4 |= CR4_LA57;
	m.cr3 = 0x8000;
	/* PML5 index 1: va bit 48 set, canonical under 57 bits */
	put64(0x8000 + 1 * 8, 0x1000 | P);
	CHECK(tr(&m, 0x0001000000005abc, &gpa, &ps) && gpa == 0x7abc);
	CHECK(!tr(&m, 0x5abc, &gpa, &ps));		/* PML5[0] empty */
	/* canonical for 4 levels but not 5 */
	CHECK(!tr(&m, 0x0100000000000000, &gpa, &ps));
	/* 5-level canonical upper half */
	put64(0x8000 + 256 * 8, 0x1000 | P);
	CHECK(tr(&m, 0xff00000000005000, &gpa, &ps) && gpa == 0x7000);
}

TEST(gdb_pgwalk_pae_and_32bit)
{
	struct pgwalk_mmu pae = { CR0_PG, 0x1020, CR4_PAE, 0 };
	struct pgwalk_mmu m32 = { CR0_PG, 0x5000, CR4_PSE, 0 };
	uint64_t gpa, ps;

	memset(ram, 0, RAM_SIZE);
	put64(0x1020 + 3 * 8, 0x2000 | P);		/* PDPTE[3] */
	put64(0x2000 + 1 * 8, 0x3000 | P);		/* PD[1] -> PT */
	put64(0x3000 + 2 * 8, 0x9000 | P);
	put64(0x2000 + 2 * 8, 0x400000 | P | PS);	/* 2 MiB */
	CHECK(tr(&pae, 0xc0202abc, &gpa, &ps) && gpa == 0x9abc && ps == 4096);
	CHECK(tr(&pae, 0xc0412345, &gpa, &ps) && gpa == 0x412345);
	CHECK(!tr(&pae, 0x00002000, &gpa, &ps));

	put32(0x5000 + 1 * 4, 0x6000 | P);		/* PDE[1] -> PT */
	put32(0x6000 + 3 * 4, 0xa000 | P);
	put32(0x5000 + 2 * 4, 0x400000 | P | PS);	/* 4 MiB page */
	CHECK(tr(&m32, 0x00403123, &gpa, &ps) && gpa == 0xa123);
	CHECK(tr(&m32, 0x00812345, &gpa, &ps) && gpa == 0x412345 &&
	      ps == (4u << 20));
	m32.cr4 = 0;		/* without CR4.PSE, PS is ignored: a table */
	put32(0x400000, 0xb000 | P);
	CHECK(tr(&m32, 0x00800010, &gpa, &ps) && gpa == 0xb010 && ps == 4096);
}
