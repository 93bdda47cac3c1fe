/* Messages a guest can cause (a broken queue, a BAR moved onto another
 * device's): each call site has its own limit, a burst of LOG_GUEST_BURST
 * lines and then one a second, so a guest looping on a fault cannot flood
 * mkvm's stderr. What was dropped is counted in the next line printed.
 *
 *	static struct log_limit lim;
 *	log__guest(&lim, "mkvm: %s: queue %d: ...\n", name, q);
 */
#ifndef MKVM_LOG_H
#define MKVM_LOG_H

#include <stdbool.h>
#include "ratelimit.h"

#define LOG_GUEST_BURST 5

struct log_limit {
	bool init;
	struct token_bucket tb;
	unsigned long dropped;
};

/* Prints to stderr unless this site is over its limit; thread-safe. */
void log__guest(struct log_limit *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
