/* One-line error messages for the caller to print: parsers and loaders fill
 * a caller's buffer and return -1, so the unit tests can read the message. */
#ifndef MKVM_ERRMSG_H
#define MKVM_ERRMSG_H

#include <stddef.h>

/* Formats into err (errlen bytes, always terminated) and returns -1. */
int errmsg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
