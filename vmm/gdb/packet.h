/* GDB remote serial protocol framing ("$data#cs", acks, escapes) and the
 * hex helpers every packet handler needs. Pure code: no I/O, no KVM. */
#ifndef MKVM_GDB_PACKET_H
#define MKVM_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest packet payload we accept and announce in qSupported (PacketSize).
 * A 'G' packet with the whole register file (about 1.2 KiB of hex) fits. */
#define GDB_PACKET_MAX 4096

enum gdb_rx_event {
	GDB_RX_NONE,		/* byte consumed, nothing complete yet */
	GDB_RX_PACKET,		/* rx->buf[0..len) holds a verified payload */
	GDB_RX_BAD_CHECKSUM,	/* complete frame, checksum mismatch or not hex */
	GDB_RX_OVERFLOW,	/* complete frame, payload longer than the buffer */
	GDB_RX_INTERRUPT,	/* 0x03 outside a frame: Ctrl-C */
	GDB_RX_ACK,		/* '+' */
	GDB_RX_NACK,		/* '-': resend the last reply */
};

struct gdb_rx {
	enum { RX_IDLE, RX_DATA, RX_CSUM_HI, RX_CSUM_LO } state;
	uint8_t sum;		/* running checksum of the payload */
	uint8_t csum_hi;	/* first checksum digit's value, or 0xff if bad */
	bool overflow;		/* payload did not fit; frame will be rejected */
	size_t len;
	char buf[GDB_PACKET_MAX + 1];	/* NUL-terminated payload */
};

void gdb_rx__init(struct gdb_rx *rx);
/* Feed one received byte; returns what, if anything, it completed. Bytes
 * outside a frame other than '+', '-', 0x03 are ignored, and a '$' inside a
 * frame restarts it, so line noise can never wedge the parser. */
enum gdb_rx_event gdb_rx__feed(struct gdb_rx *rx, uint8_t c);

/* Frames payload[0..len) as "$payload#cs" into out (capacity cap); returns
 * the frame length, or 0 if it does not fit. The payload is sent as is:
 * callers escape binary data with gdb_escape() first. */
size_t gdb_frame(char *out, size_t cap, const char *payload, size_t len);

/* Binary-data escaping of the protocol: '$', '#', '}', '*' become '}' and
 * the byte XOR 0x20. gdb_escape returns the bytes written (never more than
 * cap; *consumed says how much input fit); gdb_unescape decodes in place and
 * returns the new length, or -1 on a trailing lone '}'. */
size_t gdb_escape(char *out, size_t cap, const uint8_t *in, size_t len,
		  size_t *consumed);
long gdb_unescape(char *buf, size_t len);

int gdb_hexval(char c);			/* 0..15, or -1 */
/* Parses hex digits at *p up to a non-hex character; at least one digit and
 * no overflow of 64 bits. Advances *p past them. Returns false on error. */
bool gdb_parse_hex(const char **p, uint64_t *val);
/* Decodes exactly 2*n hex digits from hex into out; false on a bad digit. */
bool gdb_hex_decode(uint8_t *out, const char *hex, size_t n);
/* Encodes n bytes as 2*n lower-case hex digits (no terminator). */
void gdb_hex_encode(char *out, const uint8_t *in, size_t n);

#endif
