/* GDB RSP framing. See packet.h; the protocol is described in the GDB
 * manual, appendix "Remote Serial Protocol", section "Overview". */
#include <string.h>
#include "gdb/packet.h"

void gdb_rx__init(struct gdb_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->state = RX_IDLE;
}

static enum gdb_rx_event rx__idle(struct gdb_rx *rx, uint8_t c)
{
	switch (c) {
	case '$':
		rx->state = RX_DATA;
		rx->sum = 0;
		rx->len = 0;
		rx->overflow = false;
		return GDB_RX_NONE;
	case '+':
		return GDB_RX_ACK;
	case '-':
		return GDB_RX_NACK;
	case 0x03:
		return GDB_RX_INTERRUPT;
	default:
		return GDB_RX_NONE;
	}
}

enum gdb_rx_event gdb_rx__feed(struct gdb_rx *rx, uint8_t c)
{
	int v;

	switch (rx->state) {
	case RX_IDLE:
		return rx__idle(rx, c);
	case RX_DATA:
		if (c == '$') {		/* a new frame aborts a torn one */
			rx->state = RX_IDLE;
			return rx__idle(rx, c);
		}
		if (c == '#') {
			rx->state = RX_CSUM_HI;
			return GDB_RX_NONE;
		}
		rx->sum += c;
		if (rx->len < GDB_PACKET_MAX)
			rx->buf[rx->len++] = (char)c;
		else
			rx->overflow = true;
		return GDB_RX_NONE;
	case RX_CSUM_HI:
		v = gdb_hexval((char)c);
		rx->csum_hi = v < 0 ? 0xff : (uint8_t)v;
		rx->state = RX_CSUM_LO;
		return GDB_RX_NONE;
	case RX_CSUM_LO:
		rx->state = RX_IDLE;
		v = gdb_hexval((char)c);
		rx->buf[rx->len] = '\0';
		if (rx->overflow)
			return GDB_RX_OVERFLOW;
		if (v < 0 || rx->csum_hi == 0xff ||
		    (uint8_t)(rx->csum_hi << 4 | v) != rx->sum)
			return GDB_RX_BAD_CHECKSUM;
		return GDB_RX_PACKET;
	}
	return GDB_RX_NONE;
}

static const char hexdigits[] = "0123456789abcdef";

size_t gdb_frame(char *out, size_t cap, const char *payload, size_t len)
{
	uint8_t sum = 0;

	if (len + 4 > cap)
		return 0;
	out[0] = '$';
	for (size_t i = 0; i < len; i++) {
		out[1 + i] = payload[i];
		sum += (uint8_t)payload[i];
	}
	out[1 + len] = '#';
	out[2 + len] = hexdigits[sum >> 4];
	out[3 + len] = hexdigits[sum & 15];
	return len + 4;
}

static bool needs_escape(uint8_t c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

size_t gdb_escape(char *out, size_t cap, const uint8_t *in, size_t len,
		  size_t *consumed)
{
	size_t o = 0, i;

	for (i = 0; i < len; i++) {
		if (needs_escape(in[i])) {
			if (o + 2 > cap)
				break;
			out[o++] = '}';
			out[o++] = (char)(in[i] ^ 0x20);
		} else {
			if (o + 1 > cap)
				break;
			out[o++] = (char)in[i];
		}
	}
	*consumed = i;
	return o;
}

long gdb_unescape(char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '}') {
			if (++i == len)
				return -1;
			buf[o++] = (char)(buf[i] ^ 0x20);
		} else {
			buf[o++] = buf[i];
		}
	}
	return (long)o;
}

int gdb_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool gdb_parse_hex(const char **p, uint64_t *val)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	if (gdb_hexval(*s) < 0)
		return false;
	for (; (d = gdb_hexval(*s)) >= 0; s++) {
		if (v >> 60)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*p = s;
	*val = v;
	return true;
}

bool gdb_hex_decode(uint8_t *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = gdb_hexval(hex[2 * i]);
		int lo = hi < 0 ? -1 : gdb_hexval(hex[2 * i + 1]);

		if (lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void gdb_hex_encode(char *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
}
