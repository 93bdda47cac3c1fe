/* Dropping privileges; see privs.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "privs.h"

int privs__no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
		return 0;
	fprintf(stderr, "mkvm: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
	return -1;
}

/* A decimal id, or -1. */
static long number(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end || v > 0x7fffffff ? -1 : v;
}

static int resolve(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
	bool have_gid = false;

	if (group) {
		struct group *gr = number(group) < 0 ? getgrnam(group) : NULL;

		if (number(group) < 0 && !gr) {
			fprintf(stderr, "mkvm: --group %s: no such group\n", group);
			return -1;
		}
		*gid = gr ? gr->gr_gid : (gid_t)number(group);
		have_gid = true;
	}
	if (!user) {
		*uid = geteuid();
		return 0;
	}
	struct passwd *pw = number(user) < 0 ? getpwnam(user) : getpwuid((uid_t)number(user));

	if (!pw && number(user) < 0) {
		fprintf(stderr, "mkvm: --user %s: no such user\n", user);
		return -1;
	}
	*uid = pw ? pw->pw_uid : (uid_t)number(user);
	if (!have_gid) {
		if (!pw) {
			fprintf(stderr, "mkvm: --user %s: not in the password database; "
				"give --group too\n", user);
			return -1;
		}
		*gid = pw->pw_gid;
	}
	return 0;
}

int privs__drop(const char *user, const char *group)
{
	uid_t uid, ruid, euid, suid;
	gid_t gid = getegid();

	if (!user && !group)
		return 0;
	if (resolve(user, group, &uid, &gid))
		return -1;
	/* Supplementary groups first (needs CAP_SETGID), then the group,
	 * then the user (after which neither could be changed). */
	if ((geteuid() == 0 && setgroups(0, NULL)) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		fprintf(stderr, "mkvm: cannot switch to user %u, group %u: %s\n",
			(unsigned)uid, (unsigned)gid, strerror(errno));
		return -1;
	}
	if (getresuid(&ruid, &euid, &suid) || ruid != uid || euid != uid || suid != uid ||
	    (uid != 0 && setresuid(0, 0, 0) == 0)) {
		fprintf(stderr, "mkvm: switching to user %u did not take\n", (unsigned)uid);
		return -1;
	}
	return 0;
}
