/* A 16550A UART at COM1 (0x3f8, IRQ 4). Output goes to a file descriptor
 * (stdout or --serial FILE); input arrives from the console thread through
 * serial__receive(). */
#ifndef MKVM_SERIAL_H
#define MKVM_SERIAL_H

#include <stddef.h>
#include <stdint.h>

struct serial;
struct vm;

/* COM1 of vm: a UART on vm's I/O bus, and the terminal's console backend
 * (term.h) until a virtio console takes its place. */
int serial__init(struct vm *vm, int out_fd);

/* A UART on its own (for unit tests: vm NULL drives no interrupt line,
 * out_fd -1 drops output), or NULL when out of memory. */
struct serial *serial__new(struct vm *vm, int out_fd);

/* Queues up to len input bytes; returns how many fitted. Any thread. */
size_t serial__receive(struct serial *uart, const uint8_t *buf, size_t len);

/* Free space in the receive FIFO. */
size_t serial__rx_room(struct serial *uart);

/* One register access: port offset 0..7. */
void serial__io(struct serial *uart, uint16_t offset, uint8_t *data, int is_write);

#endif
