/* The I/O bus: a short array of claimed ranges per address space, searched
 * linearly (there are a handful of devices; the PCI core claims its whole
 * BAR windows and dispatches inside them itself). */
#include <stdatomic.h>
#include <string.h>

#include "io.h"

#define IO_MAX_RANGES 32

struct io_range {
	uint64_t base, len;
	io_handler_fn fn;
	void *opaque;
};

static struct io_range ranges[2][IO_MAX_RANGES];
static int nr_ranges[2];
static atomic_uint_fast64_t unclaimed;

int io__register(enum io_space space, uint64_t base, uint64_t len,
		 io_handler_fn fn, void *opaque)
{
	if (len == 0 || base + len < base || nr_ranges[space] == IO_MAX_RANGES)
		return -1;
	for (int i = 0; i < nr_ranges[space]; i++) {
		struct io_range *r = &ranges[space][i];

		if (base < r->base + r->len && r->base < base + len)
			return -1;
	}
	ranges[space][nr_ranges[space]++] = (struct io_range){ base, len, fn, opaque };
	return 0;
}

bool io__access(struct vcpu *vcpu, enum io_space space, uint64_t addr,
		uint8_t *data, uint32_t len, bool is_write)
{
	for (int i = 0; i < nr_ranges[space]; i++) {
		struct io_range *r = &ranges[space][i];

		if (addr - r->base < r->len) {
			r->fn(vcpu, addr, data, len, is_write, r->opaque);
			return true;
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
	atomic_fetch_add(&unclaimed, 1);
	return false;
}

uint64_t io__unclaimed_count(void)
{
	return atomic_load(&unclaimed);
}
