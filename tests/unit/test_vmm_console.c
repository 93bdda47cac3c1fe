/* The console: Ctrl-A escapes and the 16550 register model. */
#include "devices/serial.h"
#include "term.h"
#include "unit.h"

TEST(vmm_term_escape)
{
	struct term_escape t = { false };
	uint8_t out[1];

	CHECK(term__escape(&t, 'a', out) == 1 && out[0] == 'a');
	CHECK(term__escape(&t, 0x01, out) == 0);
	CHECK(term__escape(&t, 0x01, out) == 1 && out[0] == 0x01);  /* C-a C-a */
	CHECK(term__escape(&t, 'b', out) == 1 && out[0] == 'b');
	CHECK(term__escape(&t, 0x01, out) == 0);
	CHECK(term__escape(&t, 'x', out) == -1);                    /* C-a x */
	CHECK(term__escape(&t, 'x', out) == 1 && out[0] == 'x');
}

/* One UART for the test, with no interrupt line and no output. */
static struct serial *com1(void)
{
	static struct serial *uart;

	if (!uart)
		uart = serial__new(NULL, -1);
	return uart;
}

static uint8_t rd(uint16_t reg)
{
	uint8_t v = 0;

	serial__io(com1(), reg, &v, 0);
	return v;
}

static void wr(uint16_t reg, uint8_t v)
{
	serial__io(com1(), reg, &v, 1);
}

TEST(vmm_serial_registers)
{
	REQUIRE(com1() != NULL);
	while (rd(5) & 1)                /* drain */
		rd(0);
	CHECK((rd(5) & 0x60) == 0x60);   /* THR empty, transmitter empty */
	CHECK((rd(2) & 0x0f) == 0x01);   /* no interrupt pending */
	/* Input shows up in LSR.DR and RBR, in order. */
	CHECK(serial__receive(com1(), (const uint8_t *)"hi", 2) == 2);
	CHECK(rd(5) & 1);
	wr(1, 0x01);                     /* receive interrupt on */
	CHECK((rd(2) & 0x0f) == 0x04);
	CHECK(rd(0) == 'h' && rd(0) == 'i');
	CHECK(!(rd(5) & 1) && (rd(2) & 0x0f) == 0x01);
	/* THR-empty interrupt: pending when enabled, acknowledged by IIR. */
	wr(1, 0x02);
	CHECK((rd(2) & 0x0f) == 0x02);
	CHECK((rd(2) & 0x0f) == 0x01);
	wr(1, 0);
	/* DLAB exposes the divisor latch; scratch register holds a value. */
	wr(3, 0x80);
	wr(0, 0x01);
	wr(1, 0x00);
	CHECK(rd(0) == 0x01 && rd(1) == 0x00);
	wr(3, 0x03);
	wr(7, 0x5a);
	CHECK(rd(7) == 0x5a);
	/* Loopback: transmitted bytes come back, modem lines mirror MCR. */
	wr(4, 0x1a);                     /* LOOP | OUT2 | RTS */
	CHECK((rd(6) & 0xf0) == 0x90);   /* DCD | CTS */
	wr(0, 'z');
	CHECK(rd(0) == 'z');
	wr(4, 0x0b);
	CHECK(rd(6) == 0xb0);
}
