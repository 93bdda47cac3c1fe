/* --gdb and --gdb-wait on mkvm's command line (vmm/cli.c). */
#include <string.h>
#include "cli.h"
#include "unit.h"

static int parse(struct config *cfg, char *err, size_t errlen, int argc,
		 char *const argv[])
{
	return cli__parse(cfg, argc, argv, err, errlen);
}

TEST(gdb_cli_options)
{
	struct config cfg;
	char err[512];
	char *const a1[] = { "mkvm", "--gdb", "tcp:1234", "--gdb-wait", "k.elf", NULL };
	char *const a2[] = { "mkvm", "--gdb=unix:/tmp/s", "k.elf", NULL };

	REQUIRE(parse(&cfg, err, sizeof(err), 5, a1) == 0);
	CHECK(cfg.gdb && !strcmp(cfg.gdb, "tcp:1234") && cfg.gdb_wait);
	REQUIRE(parse(&cfg, err, sizeof(err), 3, a2) == 0);
	CHECK(cfg.gdb && !strcmp(cfg.gdb, "unix:/tmp/s") && !cfg.gdb_wait);
}

TEST(gdb_cli_errors)
{
	struct config cfg;
	char err[512];
	char *const bad[] = { "mkvm", "--gdb", "udp:1", "k.elf", NULL };
	char *const port[] = { "mkvm", "--gdb", "tcp:host:99999", "k.elf", NULL };
	char *const wait_only[] = { "mkvm", "--gdb-wait", "k.elf", NULL };

	CHECK(parse(&cfg, err, sizeof(err), 4, bad) < 0);
	CHECK(strstr(err, "unknown transport"));
	CHECK(parse(&cfg, err, sizeof(err), 4, port) < 0);
	CHECK(strstr(err, "bad port"));
	CHECK(parse(&cfg, err, sizeof(err), 3, wait_only) < 0);
	CHECK(strstr(err, "--gdb-wait needs --gdb"));
}
