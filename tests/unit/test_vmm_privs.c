/* Dropping privileges (vmm/privs.c), in a forked child: every thread,
 * including one already running (as mkvm's workers are), ends up as the
 * user for good; bad names are refused. */
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "privs.h"
#include "unit.h"

static int go[2];

/* Waits until the main thread dropped, then reports its own uid. */
static void *worker_ids(void *arg)
{
	uid_t r, e, s;
	char c;

	if (read(go[0], &c, 1) != 1 || getresuid(&r, &e, &s))
		return NULL;
	*(uid_t *)arg = r == e && e == s ? e : (uid_t)-1;
	return NULL;
}

/* Exit status of a child that drops to user/group: 0 when main thread
 * and worker are uid and gid 65534 without groups and cannot get root
 * back, 1 when privs__drop() refused. */
static int drop_in_child(const char *user, const char *group)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		pthread_t t;
		uid_t worker_uid = 0;

		if (pipe(go) || pthread_create(&t, NULL, worker_ids, &worker_uid))
			_exit(9);
		if (privs__drop(user, group))
			_exit(1);
		if (write(go[1], "", 1) != 1 || pthread_join(t, NULL))
			_exit(9);
		if (getuid() != 65534 || geteuid() != 65534 || getgid() != 65534 ||
		    getgroups(0, NULL) != 0 || worker_uid != 65534)
			_exit(2);
		_exit(setuid(0) == 0 ? 3 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(vmm_privs_drop)
{
	if (geteuid() != 0) {
		/* Without root another user's ids are out of reach. */
		CHECK(drop_in_child("65534", "65534") == 1);
		return;
	}
	CHECK(drop_in_child("65534", "65534") == 0);
	if (getpwnam("nobody") && getpwnam("nobody")->pw_gid == 65534)
		CHECK(drop_in_child("nobody", NULL) == 0);   /* its primary group */
	CHECK(privs__drop(NULL, NULL) == 0 && geteuid() == 0);
	CHECK(drop_in_child("no-such-user-mkvm", NULL) == 1);
	CHECK(drop_in_child("65534", "no-such-group-mkvm") == 1);
	if (!getpwuid(65533))
		CHECK(drop_in_child("65533", NULL) == 1);    /* no group to take */
}
