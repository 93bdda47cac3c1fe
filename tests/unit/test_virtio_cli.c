/* The virtio options of the command line: --disk FILE[,readonly],
 * --net tap=NAME|user-loopback, --console, --rng. */
#include <string.h>
#include "cli.h"
#include "unit.h"

static int parse(struct config *cfg, char *err, const char *a1, const char *a2,
		 const char *a3, const char *a4)
{
	char *argv[] = { "mkvm", (char *)a1, (char *)a2, (char *)a3, (char *)a4, "k.elf", NULL };
	int argc = 6;

	return cli__parse(cfg, argc, argv, err, 256);
}

TEST(virtio_cli_disks)
{
	struct config cfg;
	char err[256];

	REQUIRE(parse(&cfg, err, "--disk", "a.img", "--disk=b,c.img,readonly", "--rng") == 0);
	CHECK(cfg.nr_disks == 2);
	CHECK(strcmp(cfg.disks[0].path, "a.img") == 0 && !cfg.disks[0].readonly);
	CHECK(strcmp(cfg.disks[1].path, "b,c.img") == 0 && cfg.disks[1].readonly);
	CHECK(cfg.rng && !cfg.console && cfg.nr_nets == 0);
	CHECK(parse(&cfg, err, "--disk", "a.img,ro", "--rng", "--rng") == -1);
	CHECK(strstr(err, "unknown option 'ro'") != NULL);
	CHECK(parse(&cfg, err, "--disk", ",readonly", "--rng", "--rng") == -1);
	CHECK(parse(&cfg, err, "--disk", "", "--rng", "--rng") == -1);
}

TEST(virtio_cli_net_console)
{
	struct config cfg;
	char err[256];

	REQUIRE(parse(&cfg, err, "--net", "tap=tap0", "--net=user-loopback", "--console") == 0);
	CHECK(cfg.nr_nets == 2 && cfg.console);
	CHECK(strcmp(cfg.nets[0], "tap=tap0") == 0 && strcmp(cfg.nets[1], "user-loopback") == 0);
	CHECK(parse(&cfg, err, "--net", "bridge=br0", "--rng", "--rng") == -1);
	CHECK(strstr(err, "expected tap=NAME or user-loopback") != NULL);
	CHECK(parse(&cfg, err, "--console=x", "--rng", "--rng", "--rng") == -1);
}
