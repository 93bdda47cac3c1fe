/* A 16550A UART at COM1 (0x3f8, IRQ 4). Output goes to a file descriptor
 * (stdout or --serial FILE); input arrives from the console thread through
 * serial__receive(). */
#ifndef MKVM_SERIAL_H
#define MKVM_SERIAL_H

#include <stddef.h>
#include <stdint.h>

struct vm;

int serial__init(struct vm *vm, int out_fd);

/* Queues up to len input bytes; returns how many fitted. Any thread. */
size_t serial__receive(const uint8_t *buf, size_t len);

/* Free space in the receive FIFO. */
size_t serial__rx_room(void);

/* The register model on its own, for unit tests: port offset 0..7. */
void serial__io(uint16_t offset, uint8_t *data, int is_write);

#endif
