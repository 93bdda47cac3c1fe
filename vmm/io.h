/* The I/O bus: devices claim ranges of port or MMIO space and get called
 * on the vCPU thread for every access that lands in them. Accesses to
 * unclaimed ranges read as all ones and writes are ignored (counted).
 *
 * Registration happens before the vCPUs start; lookups need no lock. A
 * handler that keeps state shared with other threads locks it itself. */
#ifndef MKVM_IO_H
#define MKVM_IO_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* data holds len (1, 2, 4 or 8) bytes, little-endian. addr is the
 * absolute port or guest physical address. */
typedef void (*io_handler_fn)(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
			      uint32_t len, bool is_write, void *opaque);

enum io_space { IO_PIO, IO_MMIO };

/* Claims [base, base+len). Fails (-1) when it overlaps an existing claim. */
int io__register(enum io_space space, uint64_t base, uint64_t len,
		 io_handler_fn fn, void *opaque);

/* Dispatches one access; returns false when nothing claims addr. */
bool io__access(struct vcpu *vcpu, enum io_space space, uint64_t addr,
		uint8_t *data, uint32_t len, bool is_write);

/* Accesses that hit nothing, for diagnostics. */
uint64_t io__unclaimed_count(void);

#endif
