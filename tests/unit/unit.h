/* A minimal unit-test harness for host-side code.
 *
 * TEST(name) { ... } registers a test at load time; CHECK(cond) records a
 * failure and goes on, REQUIRE(cond) records a failure and leaves the test.
 * tests/unit/main.c runs every registered test (or those whose name contains
 * argv[1]) and ends with the line "N passed, N failed".
 */
#ifndef MKVM_UNIT_H
#define MKVM_UNIT_H

#include <stdio.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
void unit_fail(const char *file, int line, const char *expr);

#define TEST(name)                                                        \
	static void test_##name(void);                                    \
	static struct unit_test unit_##name = { #name, test_##name, 0 };  \
	__attribute__((constructor)) static void unit_reg_##name(void)    \
	{                                                                 \
		unit_register(&unit_##name);                              \
	}                                                                 \
	static void test_##name(void)

#define CHECK(cond)                                                \
	do {                                                       \
		if (!(cond))                                       \
			unit_fail(__FILE__, __LINE__, #cond);      \
	} while (0)

#define REQUIRE(cond)                                              \
	do {                                                       \
		if (!(cond)) {                                     \
			unit_fail(__FILE__, __LINE__, #cond);      \
			return;                                    \
		}                                                  \
	} while (0)

#endif
