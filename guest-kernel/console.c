/* Kernel console: 16550 UART on COM1, polled, and kprintf (shared/mkvm/fmt.h). */
#include <stdarg.h>
#include <mkvm/fmt.h>
#include "kernel.h"

#define COM1 0x3f8

void console_init(void)
{
	outb(COM1 + 1, 0x00);   /* no interrupts */
	outb(COM1 + 3, 0x80);   /* DLAB */
	outb(COM1 + 0, 0x01);   /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);   /* 8N1 */
	outb(COM1 + 2, 0x07);   /* FIFO on, cleared */
	outb(COM1 + 4, 0x03);   /* DTR, RTS */
}

void console_putc(char c)
{
	if (c == '\n')
		console_putc('\r');
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}

static void put(char c, void *unused)
{
	(void)unused;
	console_putc(c);
}

static void vkprintf(const char *fmt, va_list ap)
{
	fmt_format(put, NULL, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	cli();
	kprintf("\nPANIC: ");
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	outb(0xf4, 0x11); /* end a test run as failed if a debug-exit port exists */
	for (;;)
		hlt();
}
