/* SMBIOS 3.0 entry point and structures, from DMTF DSP0134 3.0.0 sections
 * 5.2.2 (64-bit entry point), 6.1 (structure format: a formatted area
 * then its strings, each NUL-terminated, the set ending in a second NUL),
 * 7.1 (type 0), 7.2 (type 1) and 7.45 (type 127). */
#include <string.h>

#include "boot/smbios.h"

#define EP_LEN         24
#define BIOS_LEN       0x18      /* type 0 up to the EC firmware release */
#define SYSTEM_LEN     0x1b      /* type 1 up to Family */
#define END_LEN        4
#define CHAR_NOT_SUPPORTED  (1u << 3)   /* BIOS Characteristics, bit 3 */
#define CHAR_EXT2_VM        (1u << 4)   /* "describes a virtual machine" */
#define WAKE_POWER_SWITCH   6
#define MAX_STRINGS_LEN     256

struct builder {
	uint8_t *buf;
	size_t size, used;
	int full;
};

static void put(struct builder *b, const void *p, size_t len)
{
	if (b->full || b->size - b->used < len) {
		b->full = 1;
		return;
	}
	memcpy(b->buf + b->used, p, len);
	b->used += len;
}

/* Appends a structure: its formatted area (the header's handle is set
 * here) and its strings, numbered from 1 in the order given. */
static void structure(struct builder *b, uint8_t *area, size_t len, uint16_t handle,
		      const char *const *strings, int n)
{
	memcpy(area + 2, &handle, 2);
	put(b, area, len);
	for (int i = 0; i < n; i++)
		put(b, strings[i], strnlen(strings[i], MAX_STRINGS_LEN - 1) + 1);
	if (n == 0)
		put(b, "", 1);           /* no strings: the set is two NULs */
	put(b, "", 1);
}

static void bios_info(struct builder *b, const char *version)
{
	uint8_t a[BIOS_LEN] = { SMBIOS_TYPE_BIOS, BIOS_LEN };
	const char *s[] = { "mkvm", version };

	a[4] = 1;                        /* vendor: string 1 */
	a[5] = 2;                        /* version: string 2 */
	a[0x0a] = CHAR_NOT_SUPPORTED;    /* no legacy BIOS services */
	a[0x13] = CHAR_EXT2_VM;
	memset(a + 0x14, 0xff, 4);       /* no release numbers */
	structure(b, a, sizeof(a), 0, s, 2);
}

static void system_info(struct builder *b)
{
	uint8_t a[SYSTEM_LEN] = { SMBIOS_TYPE_SYSTEM, SYSTEM_LEN };
	const char *s[] = { "mkvm", "mkvm", "KVM" };

	a[4] = 1;                        /* manufacturer */
	a[5] = 2;                        /* product name */
	a[0x18] = WAKE_POWER_SWITCH;
	a[0x1a] = 3;                     /* family */
	/* UUID (0x08..0x17) all zero: present but not set (section 7.2.1). */
	structure(b, a, sizeof(a), 1, s, 3);
}

static void end_of_table(struct builder *b)
{
	uint8_t a[END_LEN] = { SMBIOS_TYPE_END, END_LEN };

	structure(b, a, sizeof(a), 2, NULL, 0);
}

size_t smbios__build(uint8_t *buf, size_t size, uint64_t base, const char *version)
{
	struct builder b = { buf, size, EP_LEN, size < EP_LEN };
	uint8_t *ep = buf, sum = 0;
	uint32_t table_len;
	uint64_t table = base + EP_LEN;

	bios_info(&b, version);
	system_info(&b);
	end_of_table(&b);
	if (b.full)
		return 0;
	table_len = (uint32_t)(b.used - EP_LEN);
	memset(ep, 0, EP_LEN);
	memcpy(ep, "_SM3_", 5);
	ep[6] = EP_LEN;
	ep[7] = 3;                       /* SMBIOS 3.0.0 */
	ep[8] = 0;
	ep[9] = 0;
	ep[10] = 1;                      /* entry point revision: 3.0 */
	memcpy(ep + 12, &table_len, 4);  /* structure table maximum size */
	memcpy(ep + 16, &table, 8);
	for (int i = 0; i < EP_LEN; i++)
		sum += ep[i];
	ep[5] = (uint8_t)-sum;
	return b.used;
}
