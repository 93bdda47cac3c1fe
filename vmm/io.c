/* The I/O bus (io.h). */
#include <string.h>

#include "io.h"

int io__register(struct io_bus *bus, enum io_space space, uint64_t base, uint64_t len,
		 io_handler_fn fn, void *opaque)
{
	if (len == 0 || base + len < base || bus->nr[space] == IO_MAX_RANGES)
		return -1;
	for (int i = 0; i < bus->nr[space]; i++) {
		struct io_range *r = &bus->ranges[space][i];

		if (base < r->base + r->len && r->base < base + len)
			return -1;
	}
	bus->ranges[space][bus->nr[space]++] = (struct io_range){ base, len, fn, opaque };
	return 0;
}

bool io__access(struct io_bus *bus, struct vcpu *vcpu, enum io_space space, uint64_t addr,
		uint8_t *data, uint32_t len, bool is_write)
{
	for (int i = 0; i < bus->nr[space]; i++) {
		struct io_range *r = &bus->ranges[space][i];

		if (addr - r->base < r->len) {
			r->fn(vcpu, addr, data, len, is_write, r->opaque);
			return true;
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
	atomic_fetch_add(&bus->unclaimed, 1);
	return false;
}

uint64_t io__unclaimed_count(struct io_bus *bus)
{
	return atomic_load(&bus->unclaimed);
}
