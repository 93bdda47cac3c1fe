/* One virtual CPU: its KVM fd, its shared kvm_run page and its thread.
 *
 * The run loop (vcpu.c) enters the guest and dispatches each exit: port
 * and MMIO accesses to the I/O bus (io.c), shutdown and errors to
 * vm__stop(), KVM_EXIT_DEBUG to vm->debug_hook. The last VCPU_HISTORY exit
 * reasons are kept for the crash report. */
#ifndef MKVM_VCPU_H
#define MKVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define VCPU_HISTORY 16

struct vm;

struct vcpu {
	struct vm *vm;
	int id;                  /* also its APIC id */
	int fd;
	struct kvm_run *run;
	pthread_t thread;

	unsigned history[VCPU_HISTORY]; /* exit reasons, ring */
	unsigned nr_exits;
};

/* Creates vCPU id with the CPUID the VM gives every vCPU. */
struct vcpu *vcpu__create(struct vm *vm, int id);

/* Puts the boot vCPU in the PVH entry state: 32-bit protected mode, flat
 * 4 GiB segments, paging off, rip = entry, rbx = start_info. */
int vcpu__set_pvh_entry(struct vcpu *vcpu, uint32_t entry, uint32_t start_info);

int vcpu__start(struct vcpu *vcpu);

/* Makes the vCPU leave KVM_RUN soon (signal + immediate_exit). */
void vcpu__kick(struct vcpu *vcpu);

/* Registers, for the crash report and the gdb stub. */
int vcpu__get_regs(struct vcpu *vcpu, struct kvm_regs *regs);
int vcpu__set_regs(struct vcpu *vcpu, const struct kvm_regs *regs);
int vcpu__get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs);
int vcpu__set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs);

/* Prints GPRs, RIP, RFLAGS, control registers, EFER, segments and the
 * recent exit reasons. */
void vcpu__dump(struct vcpu *vcpu, FILE *out);

#endif
