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
	CHECK(strcmp(cfg.nets[0].spec, "tap=tap0") == 0 &&
	      strcmp(cfg.nets[1].spec, "user-loopback") == 0);
	CHECK(parse(&cfg, err, "--net", "bridge=br0", "--rng", "--rng") == -1);
	CHECK(strstr(err, "expected tap=NAME or user-loopback") != NULL);
	CHECK(parse(&cfg, err, "--console=x", "--rng", "--rng", "--rng") == -1);
}

TEST(virtio_cli_rate_limits)
{
	struct config cfg;
	char err[256];

	REQUIRE(parse(&cfg, err, "--disk", "a,b.img,readonly,rate=10M,ops=500",
		      "--net=user-loopback,ops=100", "--rng=rate=64K") == 0);
	CHECK(strcmp(cfg.disks[0].path, "a,b.img") == 0 && cfg.disks[0].readonly);
	CHECK(cfg.disks[0].limit.bytes_per_s == 10u << 20 && cfg.disks[0].limit.ops_per_s == 500);
	CHECK(strcmp(cfg.nets[0].spec, "user-loopback") == 0);
	CHECK(cfg.nets[0].limit.ops_per_s == 100 && cfg.nets[0].limit.bytes_per_s == 0);
	CHECK(cfg.rng && cfg.rng_limit.bytes_per_s == 64u << 10 && !cfg.rng_limit.ops_per_s);
	REQUIRE(parse(&cfg, err, "--disk", "a.img,ops=1,readonly", "--net=tap=t0,rate=1G",
		      "--rng=ops=5,rate=1") == 0);
	CHECK(cfg.disks[0].readonly && cfg.disks[0].limit.ops_per_s == 1);
	CHECK(strcmp(cfg.nets[0].spec, "tap=t0") == 0 && cfg.nets[0].limit.bytes_per_s == 1u << 30);
	CHECK(cfg.rng_limit.ops_per_s == 5 && cfg.rng_limit.bytes_per_s == 1);
	/* Plain --rng is still plain; its argument only comes with '='. */
	REQUIRE(parse(&cfg, err, "--rng", "--console", "--disk", "a.img") == 0);
	CHECK(cfg.rng && !cfg.rng_limit.bytes_per_s && !cfg.rng_limit.ops_per_s);

	CHECK(parse(&cfg, err, "--disk", "a.img,rate=0", "--rng", "--rng") == -1);
	CHECK(strstr(err, "--disk: rate=0: expected bytes a second above 0") != NULL);
	CHECK(parse(&cfg, err, "--disk", "a.img,ops=x", "--rng", "--rng") == -1);
	CHECK(strstr(err, "--disk: ops=x: expected requests a second above 0") != NULL);
	CHECK(parse(&cfg, err, "--net", "user-loopback,readonly", "--rng", "--rng") == -1);
	CHECK(strstr(err, "unknown option 'readonly'") != NULL);
	CHECK(parse(&cfg, err, "--net", "user-loopbackx", "--rng", "--rng") == -1);
	CHECK(parse(&cfg, err, "--rng=fast", "--rng", "--rng", "--console") == -1);
	CHECK(strstr(err, "--rng=fast: unknown option 'fast'") != NULL);
	CHECK(parse(&cfg, err, "--rng=rate=1Q", "--rng", "--rng", "--console") == -1);
	CHECK(parse(&cfg, err, "--rng=rate=10M,", "--rng", "--rng", "--console") == -1);
	CHECK(parse(&cfg, err, "--disk", "rate=1M", "--rng", "--rng") == 0); /* a file */
}
