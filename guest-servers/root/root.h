/* The root task's internal interface. */
#ifndef ROOT_H
#define ROOT_H

#include "../lib/l4.h"

extern const struct l4_bootinfo *bootinfo;

/* tests.c / bench.c */
void tests_run(void);
void bench_run(void);

#endif
