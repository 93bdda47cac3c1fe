/* The root task's check of zone code (guest-servers/root/zscan.c): no
 * WRPKRU, XRSTOR or XRSTORS encoding at any byte offset, across a page
 * edge too. */
#include <string.h>
#include "unit.h"
#include "../../guest-servers/root/zscan.c"

static uint8_t page[4096];

static void nops(void) { memset(page, 0x90, sizeof(page)); }

TEST(zscan_clean_page)
{
	nops();
	CHECK(zscan(page, sizeof(page), NULL, 0) == -1);
	memset(page, 0, sizeof(page));
	CHECK(zscan(page, sizeof(page), NULL, 0) == -1);
}

TEST(zscan_wrpkru_any_offset)
{
	for (size_t at = 0; at + 3 <= sizeof(page); at += 511) {
		nops();
		memcpy(page + at, "\x0f\x01\xef", 3);
		CHECK(zscan(page, sizeof(page), NULL, 0) == (long)at);
	}
	nops();                              /* inside another instruction's immediate */
	memcpy(page + 100, "\xb8\x0f\x01\xef\x00", 5);   /* mov $0xef010f, %eax */
	CHECK(zscan(page, sizeof(page), NULL, 0) == 101);
}

TEST(zscan_xrstor_forms)
{
	static const struct { const char *b; bool bad; } c[] = {
		{ "\x0f\xae\x28", true },        /* xrstor (%rax) */
		{ "\x0f\xae\x6d", true },        /* xrstor disp8(%rbp) */
		{ "\x0f\xae\xac", true },        /* xrstor disp32 with SIB */
		{ "\x0f\xae\xe8", false },       /* lfence (mod 3) */
		{ "\x0f\xae\x20", false },       /* xsave (/4) */
		{ "\x0f\xc7\x18", true },        /* xrstors (%rax) */
		{ "\x0f\xc7\xf0", false },       /* rdrand %eax (mod 3) */
		{ "\x0f\xc7\x08", false },       /* cmpxchg8b (/1) */
		{ "\x0f\x01\xee", false },       /* rdpkru: reads only */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		nops();
		memcpy(page + 7, c[i].b, 3);
		CHECK((zscan(page, sizeof(page), NULL, 0) == 7) == c[i].bad);
	}
	nops();
	memcpy(page + 7, "\x48\x0f\xae\x2f", 4);          /* xrstor64 (%rdi) */
	CHECK(zscan(page, sizeof(page), NULL, 0) == 8);
}

TEST(zscan_page_edge)
{
	nops();
	page[4094] = 0x0f;
	page[4095] = 0x01;
	CHECK(zscan(page, sizeof(page), NULL, 0) == -1);            /* next page not executable */
	CHECK(zscan(page, sizeof(page), (const uint8_t *)"\xef\x90", 2) == 4094);
	CHECK(zscan(page, sizeof(page), (const uint8_t *)"\xee\x90", 2) == -1);
	nops();
	page[4095] = 0x0f;
	CHECK(zscan(page, sizeof(page), (const uint8_t *)"\xae\x28", 2) == 4095);
	CHECK(zscan(page, sizeof(page), (const uint8_t *)"\xae", 1) == -1);
}
