/* isa-debug-exit (as QEMU's -device isa-debug-exit,iobase=0xf4,iosize=4):
 * a write of value v ends the run with exit status (v << 1) | 1. */
#include <string.h>

#include <mkvm/testexit.h>

#include "devices/devices.h"
#include "io.h"
#include "vcpu.h"
#include "vm.h"

static void debugexit__pio(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
			   uint32_t len, bool is_write, void *opaque)
{
	uint32_t v = 0;

	(void)addr; (void)opaque;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	memcpy(&v, data, len < 4 ? len : 4);
	vm__stop(vcpu->vm, (int)(((v << 1) | 1) & 0xff));
}

int debugexit__init(struct io_bus *io)
{
	return io__register(io, IO_PIO, MKVM_DEBUG_EXIT_PORT, 4, debugexit__pio, NULL);
}
