/* A tiny C library for the servers: console output through the kernel
 * debug console, string functions. */
#include <stdarg.h>
#include <mkvm/fmt.h>
#include "l4.h"

/* The string instructions: eight bytes a step where the length allows
 * (a page is 512 steps, not 4096). */
void *memset(void *d, int c, size_t n)
{
	void *p = d;
	uint64_t v = 0x0101010101010101ull * (uint8_t)c;
	size_t q = n / 8, r = n % 8;
	__asm__ volatile("rep stosq" : "+D"(p), "+c"(q) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(p), "+c"(r) : "a"(v) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *p = d;
	size_t q = n / 8, r = n % 8;
	__asm__ volatile("rep movsq" : "+D"(p), "+S"(s), "+c"(q) :: "memory");
	__asm__ volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(r) :: "memory");
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

struct out { char *buf; size_t cap, n; };

static void put(char c, void *ctx)
{
	struct out *o = ctx;
	if (o->n + 1 < o->cap)
		o->buf[o->n] = c;
	o->n++;
}

int vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct out o = { buf, cap, 0 };
	fmt_format(put, &o, fmt, ap);
	if (cap)
		buf[o.n < cap ? o.n : cap - 1] = 0;
	return (int)o.n;
}

int snprintf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

/* One line at most 255 bytes, to the kernel console in one write. */
int printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kdb_puts(buf);
	return n;
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
