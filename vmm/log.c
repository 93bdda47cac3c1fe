/* Rate-limited messages for what a guest can trigger; see log.h. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log__guest(struct log_limit *l, const char *fmt, ...)
{
	uint64_t now = ratelimit__now_ns();
	va_list ap;

	pthread_mutex_lock(&log_lock);
	if (!l->init) {
		token_bucket__init(&l->tb, 1, LOG_GUEST_BURST, now);
		l->init = true;
	}
	if (!token_bucket__ready(&l->tb, now)) {
		l->dropped++;
		pthread_mutex_unlock(&log_lock);
		return;
	}
	token_bucket__take(&l->tb, 1);
	if (l->dropped)
		fprintf(stderr, "mkvm: %lu similar messages suppressed\n", l->dropped);
	l->dropped = 0;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&log_lock);
}
