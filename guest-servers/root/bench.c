/* Microbenchmarks (printed, not asserted). */
#include "root.h"

void bench_run(void)
{
	printf("bench: not implemented yet\n");
}
