/* The COM1 console server: the console protocol (shared/mkvm/console.h)
 * over the first serial port, for a system without a virtio console.
 * Input: the line status is polled every 10 ms while a read waits; output
 * goes to the kernel console, which is COM1. A program of boot.cfg with
 * COM1's ports (io=3f8+8) and nothing else. */
#include <mkvm/console.h>
#include "../lib/prog.h"

int main(void)
{
	uint64_t *mr = l4_utcb()->mr, from;
	if (root_map(L4_IOFPAGE(0x3f8, 3)) || name_register(prog_info->name)) {
		printf("com1: no COM1 ports, or the name is taken\n");
		return 1;
	}
	for (;;) {
		if (l4_receive(L4_ANYTHREAD, L4_NEVER, &from))
			continue;
		prog_crash_if_asked(from);
		uint64_t label = L4_TAG_LABEL(mr[0]), n = mr[1];
		if (label == MKVM_CONSOLE_WRITE && n && n <= MKVM_CONSOLE_MAX) {
			char text[MKVM_CONSOLE_MAX + 1];
			memcpy(text, &mr[2], n);
			text[n] = 0;
			kdb_puts(text);
			mr[0] = L4_TAG(MKVM_CONSOLE_OK, 1, 0);
		} else if (label == MKVM_CONSOLE_READ && n && n <= MKVM_CONSOLE_MAX) {
			uint8_t *bytes = (uint8_t *)&mr[2];
			uint64_t got = 0, t0 = l4_clock_us();
			for (;;) {
				uint8_t lsr;
				__asm__ volatile("inb %1, %0" : "=a"(lsr) : "Nd"((uint16_t)0x3fd));
				if (lsr & 1) {
					__asm__ volatile("inb %1, %0" : "=a"(bytes[got]) : "Nd"((uint16_t)0x3f8));
					if (++got < n)
						continue;
				}
				if (got || (mr[2] != MKVM_CONSOLE_FOREVER && l4_clock_us() - t0 >= mr[2]))
					break;
				l4_receive(l4_myself(), 10000, NULL);   /* sleep 10 ms */
			}
			mr[0] = L4_TAG(MKVM_CONSOLE_OK, 1 + (got + 7) / 8, 0);
			mr[1] = got;
		} else {
			mr[0] = L4_TAG(MKVM_CONSOLE_ERROR, 1, 0);
			mr[1] = MKVM_CONSOLE_EINVAL;
		}
		l4_send(from, 0);
	}
}
