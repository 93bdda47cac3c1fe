/* virtio-console (spec 5.3), single port, no optional features: receiveq
 * (queue 0) carries host input to the guest, transmitq (queue 1) guest
 * output to the host. Input waits in a small FIFO until the guest offers
 * receive buffers; the host side feeds it with virtio_console__receive()
 * (the terminal loop does, when --console is given). */
#ifndef MKVM_VIRTIO_CONSOLE_H
#define MKVM_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mkvm/virtio.h>
#include "virtio/virtqueue.h"

#define VIRTIO_CONSOLE_RX   0
#define VIRTIO_CONSOLE_TX   1
#define VIRTIO_CONSOLE_FIFO 4096
/* The most one transmit request writes to the host (Linux sends at most
 * 32 KiB per buffer); the rest of a longer chain is dropped. */
#define VIRTIO_CONSOLE_TX_MAX (64u << 10)

struct virtio_console {
	int out_fd;                       /* guest output goes here */
	uint8_t fifo[VIRTIO_CONSOLE_FIFO];/* input not yet in the guest */
	size_t head, len;
	struct virtio_console_config config;
};

void virtio_console__setup(struct virtio_console *c, int out_fd);

/* Transmit handler (virtq_handler_fn): writes the chain's readable bytes,
 * at most VIRTIO_CONSOLE_TX_MAX, to out_fd. Returns 0: nothing is written
 * into the chain. */
uint32_t virtio_console__tx(void *con, const struct virtq_chain *c);

/* Moves FIFO bytes into available receive chains. Returns the number of
 * chains used, or -1 for a malformed ring. */
int virtio_console__rx(struct virtio_console *c, struct virtq *vq,
		       struct virtq_chain *chain);

/* FIFO space left, and appending to it (at most that many bytes taken). */
size_t virtio_console__fifo_room(const struct virtio_console *c);
size_t virtio_console__fifo_put(struct virtio_console *c, const uint8_t *buf,
				size_t n);

/* What --console and the libvirt <console> ask for (the device's
 * settings, device.h; virtio/console_pci.c owns them). */
struct virtio_console_settings {
	bool on;
};

/* The device on bus, with guest memory from vm (or mem when vm is NULL,
 * for tests); NULL after printing why when it cannot be set up.
 * With a vm it becomes the terminal's console backend (term.h), taking
 * COM1's place for input. virtio_console__receive() and __rx_room() are
 * safe from any thread. */
struct pci_bus;
struct vm;
struct virtio_console_pci;
struct virtio_console_pci *virtio_console__init(struct pci_bus *bus, struct vm *vm,
						const struct virtio_mem *mem, int out_fd);
size_t virtio_console__rx_room(struct virtio_console_pci *d);
void virtio_console__receive(struct virtio_console_pci *d, const uint8_t *buf, size_t n);

#endif
