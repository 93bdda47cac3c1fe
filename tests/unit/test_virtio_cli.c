/* The virtio options of the command line: --disk FILE[,readonly],
 * --net tap=NAME|user-loopback, --console, --rng. */
#include <string.h>
#include "cli.h"
#include "device.h"
#include "unit.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"

/* Each device's settings, reached through its declaration. */
#define DISKS   ((const struct virtio_blk_settings *)device__find("disk")->settings)
#define NETS    ((const struct virtio_net_settings *)device__find("net")->settings)
#define CONSOLE ((const struct virtio_console_settings *)device__find("console")->settings)
#define RNG     ((const struct virtio_rng_settings *)device__find("rng")->settings)

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
	CHECK(DISKS->nr == 2);
	CHECK(strcmp(DISKS->disks[0].path, "a.img") == 0 && !DISKS->disks[0].readonly);
	CHECK(strcmp(DISKS->disks[1].path, "b,c.img") == 0 && DISKS->disks[1].readonly);
	CHECK(RNG->on && !CONSOLE->on && NETS->nr == 0);
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
	CHECK(NETS->nr == 2 && CONSOLE->on);
	CHECK(strcmp(NETS->ifaces[0].spec, "tap=tap0") == 0 &&
	      strcmp(NETS->ifaces[1].spec, "user-loopback") == 0);
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
	CHECK(strcmp(DISKS->disks[0].path, "a,b.img") == 0 && DISKS->disks[0].readonly);
	CHECK(DISKS->disks[0].limit.bytes_per_s == 10u << 20 && DISKS->disks[0].limit.ops_per_s == 500);
	CHECK(strcmp(NETS->ifaces[0].spec, "user-loopback") == 0);
	CHECK(NETS->ifaces[0].limit.ops_per_s == 100 && NETS->ifaces[0].limit.bytes_per_s == 0);
	CHECK(RNG->on && RNG->limit.bytes_per_s == 64u << 10 && !RNG->limit.ops_per_s);
	REQUIRE(parse(&cfg, err, "--disk", "a.img,ops=1,readonly", "--net=tap=t0,rate=1G",
		      "--rng=ops=5,rate=1") == 0);
	CHECK(DISKS->disks[0].readonly && DISKS->disks[0].limit.ops_per_s == 1);
	CHECK(strcmp(NETS->ifaces[0].spec, "tap=t0") == 0 && NETS->ifaces[0].limit.bytes_per_s == 1u << 30);
	CHECK(RNG->limit.ops_per_s == 5 && RNG->limit.bytes_per_s == 1);
	/* Plain --rng is still plain; its argument only comes with '='. */
	REQUIRE(parse(&cfg, err, "--rng", "--console", "--disk", "a.img") == 0);
	CHECK(RNG->on && !RNG->limit.bytes_per_s && !RNG->limit.ops_per_s);

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
