/* Token buckets; see ratelimit.h. */
#include <time.h>
#include "ratelimit.h"

#define NS 1000000000ull

void token_bucket__init(struct token_bucket *b, uint64_t rate, uint64_t size,
			uint64_t now_ns)
{
	b->rate = rate;
	b->size = size ? size : rate;
	if (b->size > INT64_MAX)
		b->size = INT64_MAX;
	b->tokens = (int64_t)b->size;
	b->last_ns = now_ns;
	b->frac = 0;
}

static void refill(struct token_bucket *b, uint64_t now_ns)
{
	if (!b->rate || now_ns <= b->last_ns)
		return;
	unsigned __int128 t = (unsigned __int128)(now_ns - b->last_ns) * b->rate + b->frac;
	unsigned __int128 add = t / NS, room = (unsigned __int128)((int64_t)b->size - b->tokens);

	b->last_ns = now_ns;
	if (add >= room) {
		b->tokens = (int64_t)b->size;
		b->frac = 0;
		return;
	}
	b->tokens += (int64_t)add;
	b->frac = (uint64_t)(t % NS);
}

bool token_bucket__ready(struct token_bucket *b, uint64_t now_ns)
{
	refill(b, now_ns);
	return !b->rate || b->tokens > 0;
}

void token_bucket__take(struct token_bucket *b, uint64_t n)
{
	if (!b->rate)
		return;
	/* tokens stays in [INT64_MIN / 2, size]: no step can wrap. */
	if (n > (uint64_t)INT64_MAX / 2)
		n = (uint64_t)INT64_MAX / 2;
	int64_t t = b->tokens - (int64_t)n;
	b->tokens = t < INT64_MIN / 2 ? INT64_MIN / 2 : t;
}

uint64_t token_bucket__wait_ns(struct token_bucket *b, uint64_t now_ns)
{
	if (token_bucket__ready(b, now_ns))
		return 0;
	/* Tokens needed to reach 1, minus the fraction already accrued. */
	unsigned __int128 need = (unsigned __int128)(1 - b->tokens) * NS - b->frac;

	return (uint64_t)((need + b->rate - 1) / b->rate);
}

void rate_limiter__init(struct rate_limiter *rl, uint64_t bytes_per_s,
			uint64_t ops_per_s, uint64_t now_ns)
{
	token_bucket__init(&rl->bytes, bytes_per_s, 0, now_ns);
	token_bucket__init(&rl->ops, ops_per_s, 0, now_ns);
}

bool rate_limiter__active(const struct rate_limiter *rl)
{
	return rl->bytes.rate || rl->ops.rate;
}

bool rate_limiter__ready(struct rate_limiter *rl, uint64_t now_ns)
{
	bool bytes = token_bucket__ready(&rl->bytes, now_ns);

	return token_bucket__ready(&rl->ops, now_ns) && bytes;
}

void rate_limiter__charge(struct rate_limiter *rl, uint64_t bytes)
{
	token_bucket__take(&rl->bytes, bytes);
	token_bucket__take(&rl->ops, 1);
}

uint64_t rate_limiter__wait_ns(struct rate_limiter *rl, uint64_t now_ns)
{
	uint64_t a = token_bucket__wait_ns(&rl->bytes, now_ns);
	uint64_t b = token_bucket__wait_ns(&rl->ops, now_ns);

	return a > b ? a : b;
}

uint64_t ratelimit__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}
