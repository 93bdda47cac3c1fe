/* The test suite's `supervise` requests to the root task
 * (shared/mkvm/root.h): start a program, have one crash, ask how one ended. */
#include "suite.h"

int program_run(const char *name, const char *arg)
{
	return root_request(MKVM_ROOT_RUN, name, arg, strlen(arg)) ? -1 : 0;
}

int program_crash(const char *name, uint64_t how)
{
	return root_request(MKVM_ROOT_CRASH, name, &how, sizeof(how)) ? -1 : 0;
}

int program_ends(const char *name, int *status, uint64_t *why, uint64_t *addr)
{
	uint64_t *mr = l4_utcb()->mr;
	if (root_request(MKVM_ROOT_ENDS, name, "", 0))
		return -1;
	*why = mr[2];
	*addr = mr[3];
	*status = (int)mr[4];
	return (int)mr[1];
}
