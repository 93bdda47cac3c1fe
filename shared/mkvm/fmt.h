/* The one printf-style formatter of the guest side: the kernel's kprintf,
 * the user library's printf and snprintf, and the tiny test guests' print
 * all format through fmt_format(). It lives here, header-only, because the
 * three are built apart (the kernel with -mcmodel=kernel and no SSE, the
 * programs and the test guests as their own freestanding images) and share
 * no library; a static inline function costs each only what it calls.
 *
 * Conversions: %d %u %x %p %s %c %%, with an optional 0 flag, a field
 * width, and l/ll/z for 64-bit arguments (all three mean 64 bits here). An
 * unknown conversion is printed as it stands. */
#ifndef MKVM_FMT_H
#define MKVM_FMT_H

#include <stdarg.h>
#include <stdint.h>

typedef void fmt_put_fn(char c, void *ctx);

static inline void fmt_num(fmt_put_fn *put, void *ctx, uint64_t v, unsigned base, int width, char pad,
			   int negative)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (negative && pad == ' ')
		buf[n++] = '-';
	while (n < width - (negative && pad == '0'))
		buf[n++] = pad;
	if (negative && pad == '0')
		buf[n++] = '-';
	while (n)
		put(buf[--n], ctx);
}

static inline void fmt_format(fmt_put_fn *put, void *ctx, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(*fmt, ctx);
			continue;
		}
		char pad = ' ';
		int width = 0, wide = 0;
		if (*++fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			wide = 1, fmt++;
		switch (*fmt) {
		case 'd': {
			int64_t v = wide ? va_arg(ap, int64_t) : va_arg(ap, int);
			fmt_num(put, ctx, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
		case 'x':
			fmt_num(put, ctx, wide ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), *fmt == 'u' ? 10 : 16,
				width, pad, 0);
			break;
		case 'p':
			put('0', ctx);
			put('x', ctx);
			fmt_num(put, ctx, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, width, pad, 0);
			break;
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				put(*s, ctx);
			break;
		case 'c':
			put((char)va_arg(ap, int), ctx);
			break;
		case '%':
			put('%', ctx);
			break;
		case 0:
			return;
		default:
			put('%', ctx);
			put(*fmt, ctx);
		}
	}
}

#endif
