/* The parts of command-line parsing the devices' option parsers share
 * (cli.h): sizes and the rate-limit keys of a device option. Apart from
 * cli.c so that a device's binding file needs only this. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "errmsg.h"

int cli__parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case '\0':                 break;
	case 'k': case 'K': mul = 1ull << 10; p++; break;
	case 'm': case 'M': mul = 1ull << 20; p++; break;
	case 'g': case 'G': mul = 1ull << 30; p++; break;
	default:            return -1;
	}
	if (*p != '\0' || (v && v > UINT64_MAX / mul))
		return -1;
	*out = v * mul;
	return 0;
}

/* A plain decimal number. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int cli__parse_limit_key(const char *opt, const char *s, size_t n,
			   struct rate_limit *l, char *err, size_t errlen)
{
	char v[32];
	uint64_t *out;
	bool bytes = n > 5 && !strncmp(s, "rate=", 5);

	if (!bytes && !(n > 4 && !strncmp(s, "ops=", 4)))
		return 0;
	out = bytes ? &l->bytes_per_s : &l->ops_per_s;
	s += bytes ? 5 : 4;
	n -= bytes ? 5 : 4;
	if (n >= sizeof(v))
		return errmsg(err, errlen, "--%s: '%.*s' is too long", opt, (int)n, s);
	memcpy(v, s, n);
	v[n] = '\0';
	if ((bytes ? cli__parse_size(v, out) : parse_u64(v, out)) || !*out)
		return errmsg(err, errlen, bytes ?
			      "--%s: rate=%s: expected bytes a second above 0 (e.g. 10M)" :
			      "--%s: ops=%s: expected requests a second above 0", opt, v);
	return 1;
}

int cli__strip_keys(const char *opt, const char *arg, bool allow_readonly,
		      bool *readonly, struct rate_limit *l, char *err, size_t errlen)
{
	size_t end = strlen(arg);

	for (bool first = true;; first = false) {
		const char *comma = memrchr(arg, ',', end);
		size_t klen = comma ? end - (size_t)(comma + 1 - arg) : 0;
		int r = comma ? cli__parse_limit_key(opt, comma + 1, klen, l, err, errlen) : 0;

		if (r < 0)
			return -1;
		if (!r && comma && allow_readonly && klen == 8 &&
		    !strncmp(comma + 1, "readonly", 8)) {
			*readonly = true;
			r = 1;
		}
		if (!r) {
			if (first && comma)
				return errmsg(err, errlen, "--%s %s: unknown option '%.*s'",
					      opt, arg, (int)klen, comma + 1);
			return (int)end;
		}
		end = (size_t)(comma - arg);
	}
}
