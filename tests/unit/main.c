/* Runs the tests registered with TEST(); prints one line per failure and a
 * closing "N passed, N failed" line. An optional argument selects the tests
 * whose name contains it. Exit status: 0 when none failed. */
#include <stdio.h>
#include <string.h>
#include "unit.h"

static struct unit_test *tests;
static int current_failed;

void unit_register(struct unit_test *t)
{
	t->next = tests;
	tests = t;
}

void unit_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, expr);
	current_failed = 1;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;

	for (struct unit_test *t = tests; t; t = t->next) {
		if (filter && !strstr(t->name, filter))
			continue;
		current_failed = 0;
		t->fn();
		if (current_failed) {
			printf("FAIL %s\n", t->name);
			failed++;
		} else {
			printf("ok   %s\n", t->name);
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
