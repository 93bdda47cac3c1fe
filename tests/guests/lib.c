/* Console (COM1), result reporting (isa-debug-exit) and the trap dispatcher. */
#include <stdarg.h>
#include <mkvm/fmt.h>
#include "guest.h"

#define COM1     0x3f8
#define LSR_THRE 0x20 /* line status: transmit holding register empty */

int (*trap_hook)(struct trap_frame *f);

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* 115200 8N1, FIFOs on, no interrupts. */
static void serial_init(void)
{
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0x07);
}

/* The wait is bounded so that a UART model without a working LSR still
 * gets every byte, only faster than a real line could carry it. */
static void serial_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & LSR_THRE); i++)
		;
	outb(COM1, (uint8_t)c);
}

static void put(char c, void *unused)
{
	(void)unused;
	if (c == '\n')
		serial_putc('\r');
	serial_putc(c);
}

/* printf-style output on COM1 (shared/mkvm/fmt.h). */
void print(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_format(put, 0, fmt, ap);
	va_end(ap);
}

/* Ends the run: the platform exits with status (code << 1) | 1. Halts if
 * no isa-debug-exit device is listening, so a harness times out. */
void guest_exit(uint8_t code)
{
	print("%s\n", code == MKVM_TEST_PASS ? "PASS" : code == MKVM_TEST_FAIL ? "FAIL" : "EXIT");
	outb(MKVM_DEBUG_EXIT_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void fail(const char *what)
{
	print("%s\n", what);
	guest_exit(MKVM_TEST_FAIL);
}

static const char *const vector_names[NR_EXCEPTIONS] = {
	[0] = "#DE", [1] = "#DB", [2] = "NMI", [3] = "#BP", [4] = "#OF",
	[5] = "#BR", [6] = "#UD", [7] = "#NM", [8] = "#DF", [10] = "#TS",
	[11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF", [16] = "#MF",
	[17] = "#AC", [18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP",
};

/* Every exception comes here; a test may claim it through trap_hook. Any
 * other exception is a test failure, reported with where it happened. */
void trap(struct trap_frame *f)
{
	if (trap_hook && trap_hook(f))
		return;
	const char *name = vector_names[f->vector] ? vector_names[f->vector] : "reserved";
	print("trap: unexpected vector %lu (%s) at CPL%lu, rip 0x%lx, error 0x%lx\n",
	      f->vector, name, f->cs & 3, f->rip, f->error);
	guest_exit(MKVM_TEST_FAIL);
}

/* Called by boot.S in 64-bit mode at CPL0. */
void guest_start(uint32_t start_info)
{
	struct hvm_start_info *si = (struct hvm_start_info *)(uintptr_t)start_info;

	serial_init();
	cpu_init();
	if (si->magic != HVM_START_MAGIC_VALUE) {
		print("boot: hvm_start_info at 0x%x has magic 0x%x, expected 0x%x\n",
		      start_info, si->magic, HVM_START_MAGIC_VALUE);
		guest_exit(MKVM_TEST_FAIL);
	}
	test_main(si);
	guest_exit(MKVM_TEST_PASS);
}
