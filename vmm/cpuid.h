/* The CPUID a vCPU sees: KVM_GET_SUPPORTED_CPUID (so PCID, INVPCID, SMEP,
 * SMAP, x2APIC pass through when the host has them) with the per-vCPU APIC
 * ids filled in, the hypervisor bit set, and TSC-deadline when KVM has
 * KVM_CAP_TSC_DEADLINE_TIMER. */
#ifndef MKVM_CPUID_H
#define MKVM_CPUID_H

#include <stdbool.h>
#include <stdint.h>

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* Installs the CPUID of vCPU apic_id (of nr_cpus) on vcpu_fd. */
int cpuid__setup(int kvm_fd, int vcpu_fd, int apic_id, int nr_cpus);

/* Whether KVM_GET_SUPPORTED_CPUID has bit of reg in leaf/subleaf. */
bool cpuid__supported(int kvm_fd, uint32_t leaf, uint32_t subleaf,
		      enum cpuid_reg reg, int bit);

#endif
