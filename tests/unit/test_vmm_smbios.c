/* SMBIOS: the 64-bit entry point as Linux's dmi_smbios3_present() checks
 * it (anchor, length, checksum, version, table address and size), and a
 * walk of the structure table as dmi_decode() does it. */
#include <string.h>

#include "boot/smbios.h"
#include "layout.h"
#include "unit.h"

static uint8_t buf[SMBIOS_SIZE];

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* String n (from 1) of the structure at s, or NULL. */
static const char *string(const uint8_t *s, int n, const uint8_t *end)
{
	const char *p = (const char *)s + s[1];

	for (int i = 1; n > 0 && (const uint8_t *)p < end && *p; i++) {
		if (i == n)
			return p;
		p += strlen(p) + 1;
	}
	return NULL;
}

/* After the strings of the structure at s: the next structure. */
static const uint8_t *next(const uint8_t *s, const uint8_t *end)
{
	const uint8_t *p = s + s[1];

	while (p + 1 < end && (p[0] || p[1]))
		p++;
	return p + 2;
}

TEST(vmm_smbios_entry_point)
{
	memset(buf, 0, sizeof(buf));
	size_t used = smbios__build(buf, sizeof(buf), SMBIOS_ADDR, "v1");
	uint32_t max;
	uint64_t addr;

	REQUIRE(used > 24);
	CHECK(!memcmp(buf, "_SM3_", 5));
	CHECK(buf[6] == 24 && sum(buf, buf[6]) == 0);
	CHECK(buf[7] == 3 && buf[8] == 0 && buf[10] == 1);
	memcpy(&max, buf + 12, 4);
	memcpy(&addr, buf + 16, 8);
	CHECK(addr == SMBIOS_ADDR + 24);
	CHECK(max == used - 24);
	/* Linux scans 0xF0000-0xFFFFF on 16-byte boundaries for the anchor. */
	CHECK(SMBIOS_ADDR == 0xF0000 && SMBIOS_ADDR % 16 == 0);
	CHECK(smbios__build(buf, 40, SMBIOS_ADDR, "v1") == 0);
	CHECK(smbios__build(buf, 10, SMBIOS_ADDR, "v1") == 0);
}

TEST(vmm_smbios_structures)
{
	memset(buf, 0, sizeof(buf));
	size_t used = smbios__build(buf, sizeof(buf), SMBIOS_ADDR, "v1-test");
	const uint8_t *s = buf + 24, *end = buf + used;
	int types[4], n = 0;
	uint16_t handles[4];

	REQUIRE(used > 24);
	while (s + 4 <= end && n < 4) {
		REQUIRE(s[1] >= 4 && s + s[1] <= end);
		types[n] = s[0];
		memcpy(&handles[n], s + 2, 2);
		n++;
		if (s[0] == SMBIOS_TYPE_BIOS) {
			CHECK(s[1] >= 0x18);
			CHECK(string(s, s[4], end) && !strcmp(string(s, s[4], end), "mkvm"));
			CHECK(string(s, s[5], end) && !strcmp(string(s, s[5], end), "v1-test"));
			CHECK(s[0x13] & 0x10);                 /* a virtual machine */
		} else if (s[0] == SMBIOS_TYPE_SYSTEM) {
			static const uint8_t zero[16];

			CHECK(s[1] >= 0x1b);
			CHECK(string(s, s[4], end) && !strcmp(string(s, s[4], end), "mkvm"));
			CHECK(string(s, s[5], end) && !strcmp(string(s, s[5], end), "mkvm"));
			CHECK(!memcmp(s + 8, zero, 16));       /* UUID not set */
		}
		if (s[0] == SMBIOS_TYPE_END)
			break;
		s = next(s, end);
	}
	REQUIRE(n == 3);
	CHECK(types[0] == SMBIOS_TYPE_BIOS && types[1] == SMBIOS_TYPE_SYSTEM &&
	      types[2] == SMBIOS_TYPE_END);
	CHECK(handles[0] != handles[1] && handles[1] != handles[2] && handles[0] != handles[2]);
	CHECK(next(s, end) == end);       /* End-of-Table closes the table */
}
