/* Command-line parsing: options, sizes, and every kind of bad input. */
#include <string.h>

#include "cli.h"
#include "unit.h"

#define ARGV(...) ((char *const[]){ "mkvm", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *const[]){ "mkvm", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(cfg, err, ...) cli__parse(cfg, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), err, sizeof(err))

TEST(vmm_cli_defaults)
{
	struct config c;
	char err[200];

	REQUIRE(PARSE(&c, err, "k.elf") == 0);
	CHECK(!strcmp(c.kernel, "k.elf"));
	CHECK(c.mem == 256ull << 20);
	CHECK(c.cpus == 1);
	CHECK(!c.initrd && !c.cmdline && !c.serial && !c.no_host_check && !c.probe);
}

TEST(vmm_cli_all_options)
{
	struct config c;
	char err[200];

	REQUIRE(PARSE(&c, err, "--kernel", "k", "--initrd=i.cpio", "--cmdline", "a b",
		      "--mem", "1G", "--cpus=4", "--serial", "log", "--no-host-check") == 0);
	CHECK(!strcmp(c.kernel, "k") && !strcmp(c.initrd, "i.cpio"));
	CHECK(!strcmp(c.cmdline, "a b") && !strcmp(c.serial, "log"));
	CHECK(c.mem == 1ull << 30 && c.cpus == 4 && c.no_host_check);
	REQUIRE(PARSE(&c, err, "--probe") == 0);
	CHECK(c.probe && !c.kernel);
	REQUIRE(PARSE(&c, err, "-h") == 0);
	CHECK(c.help);
	REQUIRE(PARSE(&c, err, "--version") == 0);
	CHECK(c.version);
	REQUIRE(PARSE(&c, err, "--", "-odd-name.elf") == 0);
	CHECK(!strcmp(c.kernel, "-odd-name.elf"));
}

TEST(vmm_cli_sizes)
{
	uint64_t v;

	CHECK(cli__parse_size("256M", &v) == 0 && v == 256ull << 20);
	CHECK(cli__parse_size("4096k", &v) == 0 && v == 4ull << 20);
	CHECK(cli__parse_size("2G", &v) == 0 && v == 2ull << 30);
	CHECK(cli__parse_size("1048576", &v) == 0 && v == 1048576);
	CHECK(cli__parse_size("", &v) < 0);
	CHECK(cli__parse_size("M", &v) < 0);
	CHECK(cli__parse_size("-1M", &v) < 0);
	CHECK(cli__parse_size("12X", &v) < 0);
	CHECK(cli__parse_size("1MB", &v) < 0);
	CHECK(cli__parse_size("1.5G", &v) < 0);
	CHECK(cli__parse_size("99999999999999999999", &v) < 0);
	CHECK(cli__parse_size("18014398509481984G", &v) < 0);   /* 2^54 G overflows */
}

TEST(vmm_cli_rejects_bad_input)
{
	struct config c;
	char err[200];

	CHECK(PARSE(&c, err, "--mem", "12X", "k") < 0 && strstr(err, "--mem"));
	CHECK(PARSE(&c, err, "--mem", "1M", "k") < 0 && strstr(err, "range"));
	CHECK(PARSE(&c, err, "--mem", "1T", "k") < 0);
	CHECK(PARSE(&c, err, "--cpus", "0", "k") < 0 && strstr(err, "--cpus"));
	CHECK(PARSE(&c, err, "--cpus", "65", "k") < 0);
	CHECK(PARSE(&c, err, "--cpus", "2x", "k") < 0);
	CHECK(PARSE(&c, err, "--frobnicate", "k") < 0 && strstr(err, "unknown option"));
	CHECK(PARSE(&c, err, "-x", "k") < 0 && strstr(err, "unknown option"));
	CHECK(PARSE(&c, err, "k", "--mem") < 0 && strstr(err, "needs an argument"));
	CHECK(PARSE(&c, err, "--probe=yes") < 0 && strstr(err, "takes no argument"));
	CHECK(PARSE(&c, err, "k1", "k2") < 0 && strstr(err, "unexpected"));
	CHECK(PARSE(&c, err, "--mem", "1G") < 0 && strstr(err, "no kernel"));
	CHECK(PARSE(&c, err, "--gdb-os=", "k") < 0 && strstr(err, "--gdb-os"));
	CHECK(PARSE(&c, err, "--gdb", "tcp:1234", "--gdb-os", "off", "k") == 0 &&
	      !strcmp(c.gdb_os, "off"));
	CHECK(PARSE(&c, err, "--gdb", "tcp:1234", "--gdb-os", "/srv/elf", "k") == 0 &&
	      !strcmp(c.gdb_os, "/srv/elf"));
	CHECK(PARSE(&c, err, "--gdb", "tcp:1234", "k") == 0 && !c.gdb_os);
	CHECK(PARSE(&c, err, "--gdb-os", "off", "k") < 0 && strstr(err, "needs --gdb"));
}


TEST(vmm_cli_confinement_options)
{
	struct config c;
	char err[200];

	REQUIRE(PARSE(&c, err, "k.elf") == 0);
	CHECK(!c.no_seccomp && !c.user && !c.group && !c.seccomp_selftest);
	REQUIRE(PARSE(&c, err, "--no-seccomp", "--user", "nobody", "--group=65534", "k.elf") == 0);
	CHECK(c.no_seccomp && !strcmp(c.user, "nobody") && !strcmp(c.group, "65534"));
	REQUIRE(PARSE(&c, err, "--seccomp-selftest=gdb", "k.elf") == 0);
	CHECK(!strcmp(c.seccomp_selftest, "gdb"));
	CHECK(PARSE(&c, err, "--seccomp-selftest", "cpu", "k.elf") == -1);
	CHECK(strstr(err, "'cpu' is not main, vcpu, worker or gdb") != NULL);
	CHECK(PARSE(&c, err, "--no-seccomp=1", "k.elf") == -1);
}
