/* 16550A register model (National Semiconductor PC16550D data sheet).
 * Transmission is instantaneous: THR is always empty, so LSR always has
 * THRE|TEMT and the THR-empty interrupt fires whenever it is enabled and
 * not yet acknowledged. The IRQ line follows the pending interrupt level,
 * like QEMU's model (OUT2 does not gate it). */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/serial.h"
#include "io.h"
#include "layout.h"
#include "term.h"
#include "vm.h"

#define RX_FIFO 256

enum { RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };

#define IER_RDI  0x01            /* received data available */
#define IER_THRI 0x02            /* THR empty */
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI  0x04
#define IIR_FIFO 0xc0
#define LCR_DLAB 0x80
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10

struct serial {
	pthread_mutex_t lock;
	struct vm *vm;
	int out_fd;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending;
	int irq_level;
	uint8_t rx[RX_FIFO];
	unsigned rx_head, rx_count;
};

static uint8_t serial__iir(const struct serial *uart)
{
	uint8_t fifo = (uart->fcr & 1) ? IIR_FIFO : 0;

	if ((uart->ier & IER_RDI) && uart->rx_count)
		return IIR_RDI | fifo;
	if ((uart->ier & IER_THRI) && uart->thri_pending)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

/* Must hold uart->lock. */
static void serial__update_irq(struct serial *uart)
{
	int level = !(serial__iir(uart) & IIR_NONE);

	if (level == uart->irq_level)
		return;
	uart->irq_level = level;
	if (uart->vm) {
		struct kvm_irq_level irq = { .irq = COM1_IRQ, .level = (uint32_t)level };

		ioctl(uart->vm->vm_fd, KVM_IRQ_LINE, &irq);
	}
}

static void rx_push(struct serial *uart, uint8_t c)
{
	if (uart->rx_count < RX_FIFO)
		uart->rx[(uart->rx_head + uart->rx_count++) % RX_FIFO] = c;
}

static void transmit(struct serial *uart, uint8_t c)
{
	if (uart->mcr & MCR_LOOP) {
		rx_push(uart, c);
		return;
	}
	while (uart->out_fd >= 0 && write(uart->out_fd, &c, 1) < 0 && errno == EINTR)
		;
}

static uint8_t loopback_msr(const struct serial *uart)
{
	/* RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD */
	return (uint8_t)((uart->mcr & 0x02) << 3 | (uart->mcr & 0x01) << 5 |
			 (uart->mcr & 0x04) << 4 | (uart->mcr & 0x08) << 4);
}

static uint8_t serial__read(struct serial *uart, uint16_t reg)
{
	uint8_t v;

	switch (reg) {
	case RBR_THR:
		if (uart->lcr & LCR_DLAB)
			return uart->dll;
		if (!uart->rx_count)
			return 0;
		v = uart->rx[uart->rx_head];
		uart->rx_head = (uart->rx_head + 1) % RX_FIFO;
		uart->rx_count--;
		return v;
	case IER:
		return (uart->lcr & LCR_DLAB) ? uart->dlm : uart->ier;
	case IIR_FCR:
		v = serial__iir(uart);
		if ((v & 0x0f) == IIR_THRI)
			uart->thri_pending = false;   /* reading IIR acknowledges */
		return v;
	case LCR: return uart->lcr;
	case MCR: return uart->mcr;
	case LSR: return LSR_THRE | LSR_TEMT | (uart->rx_count ? LSR_DR : 0);
	case MSR: return (uart->mcr & MCR_LOOP) ? loopback_msr(uart) : 0xb0; /* DCD DSR CTS */
	default:  return uart->scr;
	}
}

static void serial__write(struct serial *uart, uint16_t reg, uint8_t v)
{
	switch (reg) {
	case RBR_THR:
		if (uart->lcr & LCR_DLAB) {
			uart->dll = v;
			return;
		}
		transmit(uart, v);
		uart->thri_pending = true;
		return;
	case IER:
		if (uart->lcr & LCR_DLAB) {
			uart->dlm = v;
			return;
		}
		if (!(uart->ier & IER_THRI) && (v & IER_THRI))
			uart->thri_pending = true;
		uart->ier = v & 0x0f;
		return;
	case IIR_FCR:
		uart->fcr = v & 0xc9;
		if (v & 0x02)            /* clear the receive FIFO */
			uart->rx_count = 0;
		return;
	case LCR: uart->lcr = v; return;
	case MCR: uart->mcr = v & 0x1f; return;
	case SCR: uart->scr = v; return;
	default:  return;                /* LSR, MSR are read-only */
	}
}

void serial__io(struct serial *uart, uint16_t offset, uint8_t *data, int is_write)
{
	pthread_mutex_lock(&uart->lock);
	if (is_write)
		serial__write(uart, offset, *data);
	else
		*data = serial__read(uart, offset);
	serial__update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
}

static void serial__pio(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
			uint32_t len, bool is_write, void *uart)
{
	(void)vcpu;
	for (uint32_t i = 0; i < len; i++)  /* wider accesses: byte by byte */
		serial__io(uart, (uint16_t)(addr - COM1_PORT + i) & 7, data + i, is_write);
}

static size_t serial__input_room(void *uart)
{
	return serial__rx_room(uart);
}

static void serial__input(void *uart, const uint8_t *buf, size_t n)
{
	serial__receive(uart, buf, n);
}

static const struct term_backend serial_backend = {
	.rx_room = serial__input_room,
	.receive = serial__input,
};

struct serial *serial__new(struct vm *vm, int out_fd)
{
	struct serial *uart = calloc(1, sizeof(*uart));

	if (!uart)
		return NULL;
	pthread_mutex_init(&uart->lock, NULL);
	uart->vm = vm;
	uart->out_fd = out_fd;
	uart->dll = 12;                  /* 9600 baud */
	return uart;
}

int serial__init(struct vm *vm, int out_fd)
{
	struct serial *uart = serial__new(vm, out_fd);

	if (!uart)
		return -1;
	term__set_backend(vm, &serial_backend, uart);
	return io__register(&vm->io, IO_PIO, COM1_PORT, 8, serial__pio, uart);
}

size_t serial__receive(struct serial *uart, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&uart->lock);
	for (n = 0; n < len && uart->rx_count < RX_FIFO; n++)
		rx_push(uart, buf[n]);
	serial__update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
	return n;
}

size_t serial__rx_room(struct serial *uart)
{
	size_t room;

	pthread_mutex_lock(&uart->lock);
	room = RX_FIFO - uart->rx_count;
	pthread_mutex_unlock(&uart->lock);
	return room;
}
