/* The I/O bus, one per VM (struct vm's io): devices claim ranges of port
 * or MMIO space and get called on the vCPU thread for every access that
 * lands in them. Accesses to unclaimed ranges read as all ones and writes
 * are ignored (counted).
 *
 * Registration happens before the vCPUs start; lookups need no lock. A
 * handler that keeps state shared with other threads locks it itself. */
#ifndef MKVM_IO_H
#define MKVM_IO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* data holds len (1, 2, 4 or 8) bytes, little-endian. addr is the
 * absolute port or guest physical address. */
typedef void (*io_handler_fn)(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
			      uint32_t len, bool is_write, void *opaque);

enum io_space { IO_PIO, IO_MMIO };

#define IO_MAX_RANGES 32

/* A short array of claimed ranges per address space, searched linearly
 * (there are a handful of devices; the PCI core claims its whole BAR
 * windows and dispatches inside them itself). Zeroed is empty. */
struct io_bus {
	struct io_range {
		uint64_t base, len;
		io_handler_fn fn;
		void *opaque;
	} ranges[2][IO_MAX_RANGES];  /* by enum io_space */
	int nr[2];
	atomic_uint_fast64_t unclaimed;
};

/* Claims [base, base+len). Fails (-1) when it overlaps an existing claim. */
int io__register(struct io_bus *bus, enum io_space space, uint64_t base, uint64_t len,
		 io_handler_fn fn, void *opaque);

/* Dispatches one access (from vcpu, which may be NULL in tests); returns
 * false when nothing claims addr. */
bool io__access(struct io_bus *bus, struct vcpu *vcpu, enum io_space space, uint64_t addr,
		uint8_t *data, uint32_t len, bool is_write);

/* Accesses that hit nothing, for diagnostics. */
uint64_t io__unclaimed_count(struct io_bus *bus);

#endif
