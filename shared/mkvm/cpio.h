/* Reading a cpio "newc" archive (the boot module) in place. */
#ifndef MKVM_CPIO_H
#define MKVM_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint64_t cpio_hex8(const char *s)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		char c = s[i];
		v = v * 16 + (uint64_t)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
	}
	return v;
}

/* The data of the file called name in the archive a of size bytes, its
 * length in *len; NULL if absent or the archive is malformed before it. */
static inline const uint8_t *cpio_find(const uint8_t *a, uint64_t size, const char *name, uint64_t *len)
{
	uint64_t off = 0, nlen = 0;
	while (name[nlen])
		nlen++;
	while (off + 110 <= size) {
		const char *h = (const char *)a + off;
		for (int i = 0; i < 6; i++)
			if (h[i] != "070701"[i])
				return NULL;
		uint64_t fsize = cpio_hex8(h + 54), namesize = cpio_hex8(h + 94);
		if (namesize > size - off - 110)
			return NULL;
		uint64_t data = (off + 110 + namesize + 3) & ~3ull;
		if (data > size || fsize > size - data)
			return NULL;
		const char *fname = h + 110;
		bool same = namesize == nlen + 1;
		for (uint64_t i = 0; same && i < nlen; i++)
			same = fname[i] == name[i];
		if (same) {
			*len = fsize;
			return a + data;
		}
		if (namesize == 11 && fname[0] == 'T' && fname[8] == '!' && fname[9] == '!')
			return NULL;    /* TRAILER!!! */
		off = (data + fsize + 3) & ~3ull;
	}
	return NULL;
}

#endif
