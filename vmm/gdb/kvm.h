/* The stub's view of a KVM VM (struct gdb_target over struct vm): register
 * conversion between KVM's structures and gdb's register file, guest
 * memory, and KVM_SET_GUEST_DEBUG. Used by the gdb thread (server.c). */
#ifndef MKVM_GDB_KVM_H
#define MKVM_GDB_KVM_H

#include <stdbool.h>
#include "gdb/stub.h"

struct vm;

bool gdb_kvm__get_regs(struct vm *vm, unsigned cpu, struct gdb_regs *r);
bool gdb_kvm__set_regs(struct vm *vm, unsigned cpu,
		       const struct gdb_regs *r);
bool gdb_kvm__read(struct vm *vm, uint64_t gpa, void *buf, size_t len);
bool gdb_kvm__write(struct vm *vm, uint64_t gpa, const void *buf,
		    size_t len);
/* Can a single step hold off interrupts (KVM_GUESTDBG_BLOCKIRQ, Linux
 * 5.15)? Without, a step with an interrupt pending ends in the guest's
 * interrupt handler. Probed before the process confines itself. */
bool gdb_kvm__step_blocks_irqs(struct vm *vm);
/* Programs every vCPU's guest-debug state (call with all vCPUs paused);
 * a single step holds off interrupts if block_irqs. */
bool gdb_kvm__set_debug(struct vm *vm, const struct gdb_debug_cfg *cfg,
			bool block_irqs);

#endif
