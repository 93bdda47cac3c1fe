/* The host side of the console: stdin in raw mode when it is a terminal
 * (restored at every exit, including fatal signals), the Ctrl-A escape,
 * and the loop that feeds stdin to the guest console (COM1 or a virtio
 * console, through struct term_backend) until the run ends. */
#ifndef MKVM_TERM_H
#define MKVM_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

#define TERM_ESCAPE 0x01         /* Ctrl-A */

/* Where terminal input goes: the guest's console device. COM1 registers
 * itself at set-up; a virtio console set up after it takes its place.
 * Both are called with the device given to term__set_backend(). */
struct term_backend {
	size_t (*rx_room)(void *dev);                             /* bytes taken now */
	void (*receive)(void *dev, const uint8_t *buf, size_t n); /* at most rx_room() */
};

/* Makes b, called with dev, the VM's console input; the last one set wins. */
void term__set_backend(struct vm *vm, const struct term_backend *b, void *dev);

struct term_escape {
	bool pending;            /* saw Ctrl-A */
};

/* Feeds one input byte through the escape state machine: Ctrl-A x quits
 * (returns -1), Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A then anything else
 * sends that byte. Otherwise returns the number of bytes put in out. */
int term__escape(struct term_escape *t, uint8_t c, uint8_t out[1]);

/* Raw mode for a terminal stdin; no-op otherwise. */
void term__init(void);
void term__restore(void);

/* Runs on the main thread: stdin -> the console backend until vm__stop().
 * Returns the run's exit status. */
int term__run(struct vm *vm);

#endif
