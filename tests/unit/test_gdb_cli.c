/* --gdb and --gdb-wait on mkvm's command line (vmm/cli.c), and the
 * listening socket they ask for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "gdb/gdb.h"
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

/* The unix socket is created 0600 whatever the umask: whoever connects
 * can read and write all of guest memory. */
TEST(gdb_unix_socket_is_private)
{
	struct gdb_addr a;
	char err[256], dir[] = "/tmp/mkvm-gdb-XXXXXX", spec[64];
	struct stat st;

	REQUIRE(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "unix:%s/s", dir);
	REQUIRE(gdb__parse_addr(spec, &a, err, sizeof(err)) == 0);
	mode_t old = umask(022);
	int fd = gdb__listen(&a);
	umask(old);
	REQUIRE(fd >= 0);
	REQUIRE(stat(a.path, &st) == 0);
	CHECK(S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600);
	CHECK(umask(old) == old); /* the process's umask is left alone */
	close(fd);
	unlink(a.path);
	rmdir(dir);
}
