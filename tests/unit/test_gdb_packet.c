/* GDB RSP framing, escaping and hex helpers (vmm/gdb/packet.c). */
#include <string.h>
#include "gdb/packet.h"
#include "unit.h"

static enum gdb_rx_event feed_str(struct gdb_rx *rx, const char *s)
{
	enum gdb_rx_event last = GDB_RX_NONE, e;

	for (; *s; s++)
		if ((e = gdb_rx__feed(rx, (uint8_t)*s)) != GDB_RX_NONE)
			last = e;
	return last;
}

TEST(gdb_rx_accepts_valid_packets)
{
	struct gdb_rx rx;

	gdb_rx__init(&rx);
	CHECK(feed_str(&rx, "$g#67") == GDB_RX_PACKET);
	CHECK(rx.len == 1 && !strcmp(rx.buf, "g"));
	CHECK(feed_str(&rx, "$?#3F") == GDB_RX_PACKET);	/* upper-case hex */
	CHECK(!strcmp(rx.buf, "?"));
	CHECK(feed_str(&rx, "$#00") == GDB_RX_PACKET);
	CHECK(rx.len == 0);
}

TEST(gdb_rx_rejects_bad_checksums)
{
	struct gdb_rx rx;

	gdb_rx__init(&rx);
	CHECK(feed_str(&rx, "$g#68") == GDB_RX_BAD_CHECKSUM);
	CHECK(feed_str(&rx, "$g#6x") == GDB_RX_BAD_CHECKSUM);
	CHECK(feed_str(&rx, "$g#x7") == GDB_RX_BAD_CHECKSUM);
	/* and recovers for the next one */
	CHECK(feed_str(&rx, "$g#67") == GDB_RX_PACKET);
}

TEST(gdb_rx_control_bytes_and_noise)
{
	struct gdb_rx rx;

	gdb_rx__init(&rx);
	CHECK(gdb_rx__feed(&rx, '+') == GDB_RX_ACK);
	CHECK(gdb_rx__feed(&rx, '-') == GDB_RX_NACK);
	CHECK(gdb_rx__feed(&rx, 0x03) == GDB_RX_INTERRUPT);
	CHECK(feed_str(&rx, "garbage\n") == GDB_RX_NONE);
	/* a '$' inside a frame restarts it: the torn frame is dropped */
	CHECK(feed_str(&rx, "$m10,4$g#67") == GDB_RX_PACKET);
	CHECK(!strcmp(rx.buf, "g"));
	/* 0x03 inside a frame is data, not an interrupt */
	CHECK(gdb_rx__feed(&rx, '$') == GDB_RX_NONE);
	CHECK(gdb_rx__feed(&rx, 0x03) == GDB_RX_NONE);
}

TEST(gdb_rx_oversized_packet_is_reported_once_complete)
{
	struct gdb_rx rx;
	enum gdb_rx_event e = GDB_RX_NONE;

	gdb_rx__init(&rx);
	gdb_rx__feed(&rx, '$');
	for (int i = 0; i < GDB_PACKET_MAX + 100; i++)
		CHECK(gdb_rx__feed(&rx, 'a') == GDB_RX_NONE);
	CHECK(rx.len == GDB_PACKET_MAX);
	e = feed_str(&rx, "#00");
	CHECK(e == GDB_RX_OVERFLOW);
	CHECK(feed_str(&rx, "$g#67") == GDB_RX_PACKET);
}

TEST(gdb_frame_adds_checksum)
{
	char out[16];

	CHECK(gdb_frame(out, sizeof(out), "OK", 2) == 6);
	CHECK(!memcmp(out, "$OK#9a", 6));
	CHECK(gdb_frame(out, sizeof(out), "", 0) == 4);
	CHECK(!memcmp(out, "$#00", 4));
	CHECK(gdb_frame(out, 5, "OK", 2) == 0);	/* does not fit */
}

TEST(gdb_escape_roundtrip)
{
	const uint8_t in[] = { 'a', '$', '#', '}', '*', 0, 0xff };
	char out[32];
	size_t used;
	size_t n = gdb_escape(out, sizeof(out), in, sizeof(in), &used);
	long m;

	CHECK(used == sizeof(in));
	CHECK(n == sizeof(in) + 4);
	CHECK(!memcmp(out, "a}\x04}\x03}\x5d}\x0a", 9));
	m = gdb_unescape(out, n);
	CHECK(m == (long)sizeof(in));
	CHECK(!memcmp(out, in, sizeof(in)));
	/* a partial escape never splits */
	n = gdb_escape(out, 2, (const uint8_t *)"a$", 2, &used);
	CHECK(n == 1 && used == 1);
	memcpy(out, "ab}", 3);
	CHECK(gdb_unescape(out, 3) == -1);
}

TEST(gdb_hex_helpers)
{
	const char *p = "1fA,";
	uint64_t v;
	uint8_t b[3];
	char h[6];

	CHECK(gdb_parse_hex(&p, &v) && v == 0x1fa && *p == ',');
	p = ",";
	CHECK(!gdb_parse_hex(&p, &v));
	p = "ffffffffffffffff";
	CHECK(gdb_parse_hex(&p, &v) && v == ~0ull);
	p = "10000000000000000";		/* 65 bits */
	CHECK(!gdb_parse_hex(&p, &v));
	CHECK(gdb_hex_decode(b, "00ff7e", 3) && b[0] == 0 && b[1] == 0xff &&
	      b[2] == 0x7e);
	CHECK(!gdb_hex_decode(b, "0g", 1));
	CHECK(!gdb_hex_decode(b, "0", 1));	/* NUL is not a digit */
	gdb_hex_encode(h, b, 3);
	CHECK(!memcmp(h, "00ff7e", 6));
}
