/* AML encoding, from ACPI 6.4 chapter 20 (grammar) and section 6.4
 * (resource descriptors). See aml.h. */
#include <string.h>

#include "acpi/aml.h"

#define AML_NAME       0x08
#define AML_BYTE       0x0a
#define AML_WORD       0x0b
#define AML_DWORD      0x0c
#define AML_QWORD      0x0e
#define AML_SCOPE      0x10
#define AML_BUFFER     0x11
#define AML_PACKAGE    0x12
#define AML_METHOD     0x14
#define AML_DUAL_NAME  0x2e
#define AML_MULTI_NAME 0x2f
#define AML_EXT        0x5b
#define AML_EXT_DEVICE 0x82
#define AML_ROOT       0x5c
#define AML_IF         0xa0
#define AML_ELSE       0xa1
#define PKGLEN_RESERVE 4     /* the longest PkgLength encoding */

void aml__init(struct aml *a, uint8_t *buf, size_t size)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->size = size;
}

void aml__bytes(struct aml *a, const void *p, size_t len)
{
	if (a->full || a->size - a->len < len) {
		a->full = true;
		return;
	}
	memcpy(a->buf + a->len, p, len);
	a->len += len;
}

void aml__byte(struct aml *a, uint8_t b)
{
	aml__bytes(a, &b, 1);
}

static void le(struct aml *a, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		aml__byte(a, (uint8_t)(v >> (8 * i)));
}

/* One NameSeg from s (up to 4 characters before '.' or the end). */
static const char *name_seg(struct aml *a, const char *s)
{
	char seg[4] = { '_', '_', '_', '_' };

	for (int i = 0; i < 4 && *s && *s != '.'; i++)
		seg[i] = *s++;
	aml__bytes(a, seg, 4);
	return *s == '.' ? s + 1 : s;
}

void aml__name(struct aml *a, const char *path)
{
	int segs = 0;

	if (*path == '\\') {
		aml__byte(a, AML_ROOT);
		path++;
	}
	if (*path)
		segs = 1;
	for (const char *p = path; *p; p++)
		segs += *p == '.';
	if (segs == 0) {
		aml__byte(a, 0x00);          /* NullName */
	} else if (segs == 2) {
		aml__byte(a, AML_DUAL_NAME);
	} else if (segs > 2) {
		aml__byte(a, AML_MULTI_NAME);
		aml__byte(a, (uint8_t)segs);
	}
	while (segs--)
		path = name_seg(a, path);
}

void aml__int(struct aml *a, uint64_t v)
{
	static const struct { uint64_t max; uint8_t prefix; int bytes; } sizes[] = {
		{ 0xff, AML_BYTE, 1 }, { 0xffff, AML_WORD, 2 },
		{ 0xffffffff, AML_DWORD, 4 }, { UINT64_MAX, AML_QWORD, 8 },
	};

	if (v <= 1) {
		aml__byte(a, v ? AML_ONE : AML_ZERO);
		return;
	}
	for (int i = 0; ; i++) {
		if (v <= sizes[i].max) {
			aml__byte(a, sizes[i].prefix);
			le(a, v, sizes[i].bytes);
			return;
		}
	}
}

static unsigned hex_digit(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

void aml__eisaid(struct aml *a, const char *id)
{
	unsigned c0 = id[0] & 0x1f, c1 = id[1] & 0x1f, c2 = id[2] & 0x1f;
	uint8_t b[4] = {
		(uint8_t)(c0 << 2 | c1 >> 3),
		(uint8_t)((c1 & 7) << 5 | c2),
		(uint8_t)(hex_digit(id[3]) << 4 | hex_digit(id[4])),
		(uint8_t)(hex_digit(id[5]) << 4 | hex_digit(id[6])),
	};

	aml__byte(a, AML_DWORD);
	aml__bytes(a, b, 4);
}

void aml__name_decl(struct aml *a, const char *path)
{
	aml__byte(a, AML_NAME);
	aml__name(a, path);
}

/* Starts a PkgLength: reserves its longest encoding; aml__end() shrinks it. */
static void pkg_begin(struct aml *a)
{
	static const uint8_t reserve[PKGLEN_RESERVE];

	if (a->depth == AML_MAX_DEPTH) {
		a->full = true;
		return;
	}
	a->open[a->depth++] = a->len;
	aml__bytes(a, reserve, sizeof(reserve));
}

void aml__end(struct aml *a)
{
	size_t at, body;
	uint32_t total;
	int n;

	if (a->full || a->depth == 0) {
		a->full = true;
		return;
	}
	at = a->open[--a->depth];
	body = a->len - at - PKGLEN_RESERVE;
	/* The encoded length counts its own bytes (ACPI 6.4 section 20.2.4). */
	for (n = 1; n <= 4; n++) {
		total = (uint32_t)(body + n);
		if ((n == 1 && total <= 0x3f) || (n > 1 && total < 1u << (4 + 8 * (n - 1))))
			break;
	}
	if (n > 4) {
		a->full = true;
		return;
	}
	memmove(a->buf + at + n, a->buf + at + PKGLEN_RESERVE, body);
	if (n == 1) {
		a->buf[at] = (uint8_t)total;
	} else {
		a->buf[at] = (uint8_t)((n - 1) << 6 | (total & 0xf));
		for (int i = 1; i < n; i++)
			a->buf[at + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	a->len = at + n + body;
}

void aml__scope_begin(struct aml *a, const char *path)
{
	aml__byte(a, AML_SCOPE);
	pkg_begin(a);
	aml__name(a, path);
}

void aml__device_begin(struct aml *a, const char *path)
{
	aml__byte(a, AML_EXT);
	aml__byte(a, AML_EXT_DEVICE);
	pkg_begin(a);
	aml__name(a, path);
}

void aml__method_begin(struct aml *a, const char *path, int nargs, bool serialized)
{
	aml__byte(a, AML_METHOD);
	pkg_begin(a);
	aml__name(a, path);
	aml__byte(a, (uint8_t)((nargs & 7) | (serialized ? 8 : 0)));
}

void aml__if_begin(struct aml *a)
{
	aml__byte(a, AML_IF);
	pkg_begin(a);
}

void aml__else_begin(struct aml *a)
{
	aml__byte(a, AML_ELSE);
	pkg_begin(a);
}

void aml__buffer_begin(struct aml *a, size_t n)
{
	aml__byte(a, AML_BUFFER);
	pkg_begin(a);
	aml__int(a, n);
}

void aml__package_begin(struct aml *a, uint8_t elements)
{
	aml__byte(a, AML_PACKAGE);
	pkg_begin(a);
	aml__byte(a, elements);
}

/* Large resource descriptor header: tag and the length of what follows. */
static void res_large(struct aml *a, uint8_t tag, uint16_t len)
{
	aml__byte(a, tag);
	le(a, len, 2);
}

#define RES_WORD_ADDR   0x88
#define RES_DWORD_ADDR  0x87
#define RES_FIXMEM32    0x86
#define RES_IO          0x47      /* small item 0x08, 7 bytes */
#define RES_END         0x79      /* small item 0x0f, 1 byte */
#define ADDR_MEM        0
#define ADDR_IO         1
#define ADDR_BUS        2
#define ADDR_MIN_MAX_FIXED 0x0c   /* _MIF | _MAF, producer, positive decode */

/* Word Address Space Descriptor (section 6.4.3.5.3). */
static void word_addr(struct aml *a, uint8_t type, uint8_t type_flags,
		      uint16_t min, uint16_t max)
{
	res_large(a, RES_WORD_ADDR, AML_RES_WORDIO_SIZE - 3);
	aml__byte(a, type);
	aml__byte(a, ADDR_MIN_MAX_FIXED);
	aml__byte(a, type_flags);
	le(a, 0, 2);                     /* granularity */
	le(a, min, 2);
	le(a, max, 2);
	le(a, 0, 2);                     /* translation offset */
	le(a, (uint32_t)max - min + 1, 2);
}

void aml__res_bus(struct aml *a, uint16_t min, uint16_t max)
{
	word_addr(a, ADDR_BUS, 0, min, max);
}

void aml__res_wordio(struct aml *a, uint16_t min, uint16_t max)
{
	word_addr(a, ADDR_IO, 0x03, min, max);     /* _RNG: ISA and non-ISA */
}

/* I/O Port Descriptor (section 6.4.2.5), 16-bit decode, one fixed range. */
void aml__res_io(struct aml *a, uint16_t base, uint8_t len)
{
	aml__byte(a, RES_IO);
	aml__byte(a, 0x01);
	le(a, base, 2);
	le(a, base, 2);
	aml__byte(a, 1);                 /* alignment */
	aml__byte(a, len);
}

/* DWord Address Space Descriptor (section 6.4.3.5.2), memory. */
void aml__res_mem32(struct aml *a, uint32_t min, uint32_t max)
{
	res_large(a, RES_DWORD_ADDR, AML_RES_MEM32_SIZE - 3);
	aml__byte(a, ADDR_MEM);
	aml__byte(a, ADDR_MIN_MAX_FIXED);
	aml__byte(a, 0x01);              /* read-write, non-cacheable */
	le(a, 0, 4);
	le(a, min, 4);
	le(a, max, 4);
	le(a, 0, 4);
	le(a, (uint64_t)max - min + 1, 4);
}

/* 32-Bit Fixed Memory Range Descriptor (section 6.4.3.4). */
void aml__res_fixmem(struct aml *a, uint32_t base, uint32_t len)
{
	res_large(a, RES_FIXMEM32, AML_RES_FIXMEM_SIZE - 3);
	aml__byte(a, 0x01);              /* read-write */
	le(a, base, 4);
	le(a, len, 4);
}

/* End Tag (section 6.4.2.9): a zero checksum means "treat as valid". */
void aml__res_end(struct aml *a)
{
	aml__byte(a, RES_END);
	aml__byte(a, 0);
}
