/* Token buckets and rate limiters (vmm/ratelimit.c), on a clock the test
 * sets, and the guest-message limit (vmm/log.c). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "ratelimit.h"
#include "unit.h"

#define MS 1000000ull
#define S  1000000000ull

TEST(vmm_token_bucket_burst_and_refill)
{
	struct token_bucket b;
	uint64_t t = 5 * S;

	token_bucket__init(&b, 1000, 0, t); /* 1000/s, burst 1000 */
	CHECK(b.size == 1000 && b.tokens == 1000);
	for (int i = 0; i < 10; i++) {
		REQUIRE(token_bucket__ready(&b, t));
		token_bucket__take(&b, 100);
	}
	CHECK(!token_bucket__ready(&b, t));
	CHECK(token_bucket__wait_ns(&b, t) == 1 * MS); /* one token */
	CHECK(!token_bucket__ready(&b, t + MS - 1));
	CHECK(token_bucket__ready(&b, t + MS));
	CHECK(b.tokens == 1);
	/* Fractions of a token add up across refills. */
	token_bucket__take(&b, 1);
	for (int i = 1; i <= 3; i++)
		token_bucket__ready(&b, t + MS + i * MS / 3);
	CHECK(b.tokens == 0 || b.tokens == 1);
	CHECK(token_bucket__ready(&b, t + 2 * MS + 1));
	/* Never more than the size, however long it was idle. */
	CHECK(token_bucket__ready(&b, t + 3600 * S));
	CHECK(b.tokens == 1000);
}

TEST(vmm_token_bucket_large_request_makes_debt)
{
	struct token_bucket b;

	token_bucket__init(&b, 100, 50, 0);
	REQUIRE(token_bucket__ready(&b, 0));
	token_bucket__take(&b, 1000); /* 20 times the bucket */
	CHECK(b.tokens == -950);
	CHECK(!token_bucket__ready(&b, 9 * S));
	CHECK(b.tokens == -50);
	CHECK(token_bucket__wait_ns(&b, 9 * S) == 510 * MS);
	CHECK(token_bucket__ready(&b, 9510 * MS));
	/* An absurd cost cannot wrap the count. */
	token_bucket__take(&b, UINT64_MAX);
	CHECK(b.tokens < 0);
	CHECK(token_bucket__wait_ns(&b, 9510 * MS) > 1000 * S);
}

TEST(vmm_token_bucket_unlimited)
{
	struct token_bucket b;

	token_bucket__init(&b, 0, 0, 0);
	token_bucket__take(&b, UINT64_MAX);
	CHECK(token_bucket__ready(&b, 0) && token_bucket__wait_ns(&b, 0) == 0);
}

TEST(vmm_rate_limiter_bytes_and_ops)
{
	struct rate_limiter rl;

	rate_limiter__init(&rl, 0, 0, 0);
	CHECK(!rate_limiter__active(&rl) && rate_limiter__ready(&rl, 0));
	rate_limiter__init(&rl, 4096, 10, 0);
	CHECK(rate_limiter__active(&rl));
	/* Ten 100-byte operations use the ops bucket up first. */
	for (int i = 0; i < 10; i++) {
		REQUIRE(rate_limiter__ready(&rl, 0));
		rate_limiter__charge(&rl, 100);
	}
	CHECK(!rate_limiter__ready(&rl, 0));
	CHECK(rate_limiter__wait_ns(&rl, 0) == 100 * MS);
	/* Then one 8 KiB operation: the bytes bucket (3096 + 409.6 refilled)
	 * goes 4686.4 bytes into debt, 1.144 s at 4 KiB/s. */
	REQUIRE(rate_limiter__ready(&rl, 100 * MS));
	rate_limiter__charge(&rl, 8192);
	uint64_t w = rate_limiter__wait_ns(&rl, 100 * MS);
	CHECK(w > 1144 * MS && w < 1145 * MS);
	/* Over a long run the average holds: 20 s at 10 ops/s. */
	int ops = 0;
	rate_limiter__init(&rl, 0, 10, 0);
	for (uint64_t t = 0; t < 20 * S; t += MS)
		while (rate_limiter__ready(&rl, t)) {
			rate_limiter__charge(&rl, 1);
			ops++;
		}
	CHECK(ops >= 200 && ops <= 210); /* 200 plus the first burst */
}

TEST(vmm_log_guest_limit)
{
	static struct log_limit lim;
	char line[256];
	int saved = dup(2), printed = 0, suppressed = 0;
	FILE *tmp = tmpfile();

	REQUIRE(saved >= 0 && tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	for (int i = 0; i < 1000; i++)
		log__guest(&lim, "guest-fault %d\n", i);
	usleep(1100 * 1000);
	log__guest(&lim, "guest-fault after\n");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	while (fgets(line, sizeof(line), tmp)) {
		printed += strncmp(line, "guest-fault", 11) == 0;
		suppressed += strstr(line, "995 similar messages suppressed") != NULL;
	}
	fclose(tmp);
	CHECK(printed == LOG_GUEST_BURST + 1);
	CHECK(suppressed == 1);
}
