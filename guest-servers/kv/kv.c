/* The key-value store. In zonedemo it is zone 1 (zonedemo/zones.ld): its
 * code, tables and stack carry zone 1's key, and the table at the start
 * of its read-only data names its entry points (mkvm/zone.h). */
#include <mkvm/zone.h>
#include "../lib/l4.h"
#include "kv.h"

static struct { char key[KV_STR], value[KV_STR]; } table[KV_SLOTS];
static unsigned used = 1;       /* slot 0 is never used (a data page of its own) */

static void copy(char *d, const char *s)
{
	while ((*d++ = *s++))
		;
}

static int find(const char *key)
{
	for (unsigned i = 1; i < used; i++)
		if (!strcmp(table[i].key, key))
			return (int)i;
	return -1;
}

uint64_t kv_put(const char *key, const char *value)
{
	if (strlen(key) >= KV_STR || strlen(value) >= KV_STR)
		return 1;
	int i = find(key);
	if (i < 0) {
		if (used == KV_SLOTS)
			return 1;
		i = (int)used++;
		copy(table[i].key, key);
	}
	copy(table[i].value, value);
	return 0;
}

const char *kv_get(const char *key)
{
	int i = find(key);
	return i < 0 ? NULL : table[i].value;
}

uint64_t kv_get_into(const char *key, char *out)
{
	const char *v = kv_get(key);
	copy(out, v ? v : "");
	return 0;
}

uint64_t kv_nop(uint64_t a, uint64_t b, uint64_t c) { return a + b + c; }

uint64_t kv_callback(uint64_t (*fn)(uint64_t), uint64_t a) { return fn(a); }

/* zonedemo's entries 1..5 (ignored where kv.c is no zone). */
__attribute__((section(".zone.entries"), used))
const struct mkvm_zone_entries kv_entries = {
	MKVM_ZONE_MAGIC, 5,
	{ (uint64_t)kv_put, (uint64_t)kv_get, (uint64_t)kv_get_into, (uint64_t)kv_nop, (uint64_t)kv_callback },
};
