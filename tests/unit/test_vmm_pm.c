/* The ACPI PM1a event block through the I/O bus: PM1_EN keeps what the
 * guest enables (Linux reads GBL_EN back before it trusts the global lock),
 * PM1_STS reads 0 and ignores writes of ones. */
#include <stdint.h>
#include <string.h>

#include "devices/devices.h"
#include "io.h"
#include "layout.h"
#include "buses.h"
#include "unit.h"

#define PM1_STS  PM1A_EVT_PORT
#define PM1_EN   (PM1A_EVT_PORT + 2)
#define GBL_EN   0x0020

static void pm_ready(void)
{
	static int done;

	if (!done)
		REQUIRE(pm__init(&test_io) == 0);
	done = 1;
}

static uint32_t in(uint16_t port, uint32_t len)
{
	uint32_t v = 0xdeadbeef;

	CHECK(io__access(&test_io, NULL, IO_PIO, port, (uint8_t *)&v, len, false));
	return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

static void out(uint16_t port, uint32_t v, uint32_t len)
{
	CHECK(io__access(&test_io, NULL, IO_PIO, port, (uint8_t *)&v, len, true));
}

TEST(vmm_pm1_enable_reads_back)
{
	pm_ready();
	out(PM1_EN, 0, 2);
	CHECK(in(PM1_EN, 2) == 0);
	out(PM1_EN, GBL_EN, 2);
	CHECK(in(PM1_EN, 2) == GBL_EN);
	CHECK(in(PM1_EN, 1) == GBL_EN);
	/* Reserved bits stay 0; defined ones (PWRBTN_EN, RTC_EN) stick. */
	out(PM1_EN, 0xffff, 2);
	CHECK(in(PM1_EN, 2) == 0x4721);
	/* A byte write changes one byte; a dword at the block's start covers
	 * both registers. */
	out(PM1_EN + 1, 0, 1);
	CHECK(in(PM1_EN, 2) == 0x0021);
	CHECK(in(PM1_STS, 4) == 0x0021u << 16);
	out(PM1_EN, 0, 2);
	CHECK(in(PM1_EN, 2) == 0);
}

TEST(vmm_pm1_status_write_one_to_clear)
{
	pm_ready();
	out(PM1_EN, GBL_EN, 2);
	CHECK(in(PM1_STS, 2) == 0);
	out(PM1_STS, 0xffff, 2);         /* clears, never sets */
	CHECK(in(PM1_STS, 2) == 0);
	CHECK(in(PM1_EN, 2) == GBL_EN);  /* and leaves PM1_EN alone */
	out(PM1_STS, 0xffffffff, 4);     /* a dword write reaches PM1_EN too */
	CHECK(in(PM1_STS, 2) == 0);
	CHECK(in(PM1_EN, 2) == 0x4721);
	out(PM1_EN, 0, 2);
}
