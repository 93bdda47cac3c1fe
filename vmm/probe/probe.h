/* Host capability probe: which KVM module is behind /dev/kvm, whether it
 * uses two-dimensional paging, and what a tiny guest observes when it
 * does SYSCALL from ring 3 and sets CR4.PCIDE (guest.S). */
#ifndef MKVM_PROBE_H
#define MKVM_PROBE_H

#include <stdbool.h>
#include <stdio.h>

struct probe_result {
	const char *module;      /* kvm_intel, kvm_amd, kvm_pvm, other */
	const char *tdp_name;    /* EPT, NPT or NULL */
	int tdp;                 /* 1 on, 0 off, -1 unknown */
	bool guest_ran;          /* the probe guest reached its end */
	bool syscall_ok;         /* SYSCALL from ring 3 arrived at CPL0 */
	bool pcide_ok;           /* CR4.PCIDE could be set */
	bool cpuid_pcid, cpuid_invpcid;
	unsigned syscall_fault;  /* vector + 1 of the fault in the SYSCALL step */
	char error[160];         /* why the guest could not run */
};

/* Fills r. Returns 0 when the host can run a ring-3 guest correctly. */
int probe__run(struct probe_result *r);

void probe__print(const struct probe_result *r, FILE *out);

#endif
