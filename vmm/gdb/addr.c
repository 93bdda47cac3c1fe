/* --gdb address parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gdb/gdb.h"

static int fail(char *err, size_t errlen, const char *what, const char *spec)
{
	snprintf(err, errlen, "--gdb %s: %s (expected tcp:[HOST:]PORT or "
		 "unix:PATH)", spec, what);
	return -1;
}

static int parse_tcp(const char *spec, const char *rest, struct gdb_addr *a,
		     char *err, size_t errlen)
{
	const char *colon = strrchr(rest, ':');
	const char *port = colon ? colon + 1 : rest;
	size_t hostlen = colon ? (size_t)(colon - rest) : 0;
	char *end;
	long n = strtol(port, &end, 10);

	if (!*port || *end || n < 1 || n > 65535)
		return fail(err, errlen, "bad port", spec);
	if (hostlen >= sizeof(a->host))
		return fail(err, errlen, "host name too long", spec);
	if (hostlen == 0) {
		strcpy(a->host, "localhost");
	} else {
		memcpy(a->host, rest, hostlen);
		a->host[hostlen] = '\0';
	}
	snprintf(a->port, sizeof(a->port), "%ld", n);
	return 0;
}

int gdb__parse_addr(const char *spec, struct gdb_addr *out, char *err,
		    size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!strncmp(spec, "tcp:", 4))
		return parse_tcp(spec, spec + 4, out, err, errlen);
	if (!strncmp(spec, "unix:", 5)) {
		if (!spec[5])
			return fail(err, errlen, "empty path", spec);
		if (strlen(spec + 5) >= sizeof(out->path))
			return fail(err, errlen, "path too long", spec);
		out->is_unix = true;
		strcpy(out->path, spec + 5);
		return 0;
	}
	return fail(err, errlen, "unknown transport", spec);
}
