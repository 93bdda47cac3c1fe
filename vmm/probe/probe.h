/* Host capability probe: whether /dev/kvm can be opened (and why not),
 * which KVM module is behind it, whether it uses two-dimensional paging,
 * and what a tiny guest observes when it does SYSCALL from ring 3 and sets
 * CR4.PCIDE (guest.S). Nothing is reported that was not measured. */
#ifndef MKVM_PROBE_H
#define MKVM_PROBE_H

#include <stdbool.h>
#include <stdio.h>

struct probe_result {
	char no_kvm[200];        /* why /dev/kvm cannot be opened; "" if it can */
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

/* 0 when /dev/kvm opens read-write; otherwise -1 and why[] says why in
 * words a user can act on (no KVM module loaded, no permission, ...). */
int probe__kvm_access(char *why, size_t len);

void probe__print(const struct probe_result *r, FILE *out);

#endif
