/* The test suite's `supervise` requests to the root task
 * (shared/mkvm/root.h): start a program, have one crash, ask how one ended. */
#include "suite.h"

/* One request naming a program, with up to 31 more bytes in MR4..MR7:
 * 0 with the reply in mr[], or -1. */
static int request(uint64_t label, const char *name, const void *more, size_t n)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(label, 7, 0);
	memset(&mr[1], 0, 7 * 8);
	memcpy(&mr[1], name, strlen(name) < MKVM_NAME_MAX ? strlen(name) : MKVM_NAME_MAX - 1);
	memcpy(&mr[4], more, n < 32 ? n : 31);
	return l4_call(prog_info->root) || L4_TAG_LABEL(mr[0]) != MKVM_ROOT_OK ? -1 : 0;
}

int program_run(const char *name, const char *arg)
{
	return request(MKVM_ROOT_RUN, name, arg, strlen(arg));
}

int program_crash(const char *name, uint64_t how)
{
	return request(MKVM_ROOT_CRASH, name, &how, sizeof(how));
}

int program_ends(const char *name, int *status, uint64_t *why, uint64_t *addr)
{
	uint64_t *mr = l4_utcb()->mr;
	if (request(MKVM_ROOT_ENDS, name, "", 0))
		return -1;
	*why = mr[2];
	*addr = mr[3];
	*status = (int)mr[4];
	return (int)mr[1];
}
