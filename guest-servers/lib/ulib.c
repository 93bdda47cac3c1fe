/* A tiny C library for the servers: console output through the kernel
 * debug console, string functions. */
#include <stdarg.h>
#include "l4.h"

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

void kdb_puts(const char *s)
{
	l4_syscall(L4_SYS_KDB_WRITE, (uint64_t)s, strlen(s), 0, 0, NULL, NULL);
}

struct out { char buf[256]; size_t n; };

static void put(struct out *o, char c)
{
	if (o->n < sizeof(o->buf) - 1)
		o->buf[o->n++] = c;
}

static void put_num(struct out *o, uint64_t v, unsigned base, int width, char pad)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n < width)
		tmp[n++] = pad;
	while (n)
		put(o, tmp[--n]);
}

int printf(const char *fmt, ...)
{
	struct out o = { .n = 0 };
	va_list ap;
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, lng = 0;
		if (*++fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			lng++, fmt++;
		switch (*fmt) {
		case 'd': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0)
				put(&o, '-'), v = -v;
			put_num(&o, (uint64_t)v, 10, width, pad);
			break;
		}
		case 'u':
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad);
			break;
		case 'x':
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad);
			break;
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				put(&o, *s);
			break;
		default:
			put(&o, *fmt);
		}
	}
	va_end(ap);
	o.buf[o.n] = 0;
	kdb_puts(o.buf);
	return (int)o.n;
}

bool cmdline_has(const char *cmdline, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && !memcmp(p, word, n) &&
		    (p[n] == 0 || p[n] == ' '))
			return true;
	}
	return false;
}
