/* Giving up root once set-up needed it (opening a TAP device, a disk
 * image only root may write): --user and --group. */
#ifndef MKVM_PRIVS_H
#define MKVM_PRIVS_H

/* Sets no_new_privs for the process: nothing mkvm runs can gain
 * privileges through exec (and unprivileged seccomp needs it). Returns -1
 * with the reason printed on failure. */
int privs__no_new_privs(void);

/* Switches every thread to user (a name or a number) and group (a name
 * or a number; by default the user's primary group from the password
 * database), with no supplementary groups, and checks root cannot be
 * regained. Nothing to do when both are NULL. Returns -1 with the reason
 * printed on failure. */
int privs__drop(const char *user, const char *group);

#endif
