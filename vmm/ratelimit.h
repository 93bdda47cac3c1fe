/* Token buckets, Firecracker style: a bucket holds at most `size` tokens
 * and gains `rate` a second. A request may start while the bucket holds
 * any token and is then charged its whole cost, so one request larger than
 * the bucket still passes (when the bucket is full) and leaves it in debt
 * that the refill pays off before the next one. The average stays at
 * `rate`; the burst after an idle spell is `size`.
 *
 * A rate limiter pairs a bucket of bytes with one of operations; either
 * may be off (rate 0). Used by the virtio devices (--disk, --net, --rng
 * options) and, with one bucket per message, for messages a guest can
 * trigger (log__guest()). Not thread-safe: callers hold their own lock.
 * Times are CLOCK_MONOTONIC nanoseconds, passed in so tests control them. */
#ifndef MKVM_RATELIMIT_H
#define MKVM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct token_bucket {
	uint64_t rate;         /* tokens a second; 0: unlimited */
	uint64_t size;         /* the most it holds */
	int64_t tokens;        /* below 0: debt from a large request */
	uint64_t last_ns;      /* time of the last refill */
	uint64_t frac;         /* refill remainder, in 1e-9 tokens */
};

/* A full bucket. size 0 means one second's worth (rate). */
void token_bucket__init(struct token_bucket *b, uint64_t rate, uint64_t size,
			uint64_t now_ns);
/* Whether a request may start now (always, when unlimited). */
bool token_bucket__ready(struct token_bucket *b, uint64_t now_ns);
/* Charges n tokens (after token_bucket__ready() said yes). */
void token_bucket__take(struct token_bucket *b, uint64_t n);
/* Nanoseconds until token_bucket__ready() will say yes; 0 if it does now. */
uint64_t token_bucket__wait_ns(struct token_bucket *b, uint64_t now_ns);

/* A limit as the user gives it (--disk ...,rate=,ops=): bytes and
 * operations a second, 0 for no limit. */
struct rate_limit {
	uint64_t bytes_per_s, ops_per_s;
};

struct rate_limiter {
	struct token_bucket bytes, ops;
};

/* Limits: bytes and operations a second (0: that one unlimited), each
 * with a burst of one second's worth. */
void rate_limiter__init(struct rate_limiter *rl, uint64_t bytes_per_s,
			uint64_t ops_per_s, uint64_t now_ns);
bool rate_limiter__active(const struct rate_limiter *rl);
bool rate_limiter__ready(struct rate_limiter *rl, uint64_t now_ns);
/* One operation of n bytes done. */
void rate_limiter__charge(struct rate_limiter *rl, uint64_t bytes);
uint64_t rate_limiter__wait_ns(struct rate_limiter *rl, uint64_t now_ns);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t ratelimit__now_ns(void);

#endif
