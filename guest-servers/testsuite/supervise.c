/* The test suite's `supervise` requests to the root task
 * (shared/mkvm/root.h): start a program, have one crash, ask how one ended,
 * ask what its pager holds at an address. */
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

int program_frame(uint64_t space, uint64_t va, struct frame_info *f)
{
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(MKVM_ROOT_FRAME, 2, 0);
	mr[1] = space;
	mr[2] = va;
	if (l4_call(prog_info->root) || L4_TAG_LABEL(mr[0]) != MKVM_ROOT_OK)
		return -1;
	*f = (struct frame_info){ .pa = mr[1], .kind = mr[2], .refs = mr[3], .frames = mr[4],
				  .copies = mr[5], .image_frames = mr[6], .rights = mr[7] };
	return 0;
}
