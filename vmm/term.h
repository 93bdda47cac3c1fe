/* The host side of the console: stdin in raw mode when it is a terminal
 * (restored at every exit, including fatal signals), the Ctrl-A escape,
 * and the loop that feeds stdin to the UART until the run ends. */
#ifndef MKVM_TERM_H
#define MKVM_TERM_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

#define TERM_ESCAPE 0x01         /* Ctrl-A */

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

/* Runs on the main thread: stdin -> UART until vm__stop(). Returns the
 * run's exit status. */
int term__run(struct vm *vm);

#endif
