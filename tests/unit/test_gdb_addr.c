/* --gdb address parsing (vmm/gdb/addr.c). */
#include <string.h>
#include "gdb/gdb.h"
#include "unit.h"

TEST(gdb_addr_tcp)
{
	struct gdb_addr a;
	char err[256];

	REQUIRE(gdb__parse_addr("tcp:1234", &a, err, sizeof(err)) == 0);
	CHECK(!a.is_unix && !strcmp(a.host, "localhost") &&
	      !strcmp(a.port, "1234"));
	REQUIRE(gdb__parse_addr("tcp::99", &a, err, sizeof(err)) == 0);
	CHECK(!strcmp(a.host, "localhost") && !strcmp(a.port, "99"));
	REQUIRE(gdb__parse_addr("tcp:0.0.0.0:65535", &a, err, sizeof(err)) == 0);
	CHECK(!strcmp(a.host, "0.0.0.0") && !strcmp(a.port, "65535"));
	REQUIRE(gdb__parse_addr("tcp:::1:7", &a, err, sizeof(err)) == 0);
	CHECK(!strcmp(a.host, "::1") && !strcmp(a.port, "7"));
}

TEST(gdb_addr_errors)
{
	struct gdb_addr a;
	char err[1024], longpath[300];

	CHECK(gdb__parse_addr("tcp:", &a, err, sizeof(err)) < 0);
	CHECK(strstr(err, "bad port"));
	CHECK(gdb__parse_addr("tcp:host:0", &a, err, sizeof(err)) < 0);
	CHECK(gdb__parse_addr("tcp:host:65536", &a, err, sizeof(err)) < 0);
	CHECK(gdb__parse_addr("tcp:host:12x", &a, err, sizeof(err)) < 0);
	CHECK(gdb__parse_addr("udp:1234", &a, err, sizeof(err)) < 0);
	CHECK(strstr(err, "unknown transport"));
	CHECK(gdb__parse_addr("unix:", &a, err, sizeof(err)) < 0);
	memset(longpath, 'a', sizeof(longpath) - 1);
	memcpy(longpath, "unix:", 5);
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(gdb__parse_addr(longpath, &a, err, sizeof(err)) < 0);
	CHECK(strstr(err, "too long"));
}

TEST(gdb_addr_unix)
{
	struct gdb_addr a;
	char err[256];

	REQUIRE(gdb__parse_addr("unix:/tmp/mkvm.gdb", &a, err, sizeof(err)) == 0);
	CHECK(a.is_unix && !strcmp(a.path, "/tmp/mkvm.gdb"));
}
