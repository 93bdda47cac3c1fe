#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "cpuid.h"

#define CPUID_MAX_ENTRIES 256

/* Fetched once: every vCPU (and the probe) starts from the same table. */
static struct kvm_cpuid2 *supported;

static struct kvm_cpuid2 *cpuid__get_supported(int kvm_fd)
{
	if (supported)
		return supported;
	supported = calloc(1, sizeof(*supported) +
			      CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (!supported)
		return NULL;
	supported->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, supported) < 0) {
		fprintf(stderr, "mkvm: KVM_GET_SUPPORTED_CPUID: %s\n", strerror(errno));
		free(supported);
		supported = NULL;
	}
	return supported;
}

static void cpuid__patch(struct kvm_cpuid_entry2 *e, int apic_id, int nr_cpus,
			 bool tsc_deadline)
{
	switch (e->function) {
	case 1:
		/* Initial APIC id, logical processor count, hypervisor. */
		e->ebx = (e->ebx & 0x0000ffff) | (uint32_t)apic_id << 24 |
			 (uint32_t)(nr_cpus & 0xff) << 16;
		e->ecx |= 1u << 31;
		/* KVM reports the in-kernel LAPIC's TSC-deadline mode as a
		 * capability, not in the supported CPUID (KVM API,
		 * KVM_GET_SUPPORTED_CPUID and KVM_CAP_TSC_DEADLINE_TIMER). */
		if (tsc_deadline)
			e->ecx |= 1u << 24;
		break;
	case 0xb:
	case 0x1f:
		/* x2APIC topology: the x2APIC id of this vCPU. */
		e->edx = (uint32_t)apic_id;
		break;
	}
}

int cpuid__setup(int kvm_fd, int vcpu_fd, int apic_id, int nr_cpus)
{
	struct kvm_cpuid2 *s = cpuid__get_supported(kvm_fd), *c;
	size_t size;
	int ret;

	if (!s)
		return -1;
	size = sizeof(*s) + s->nent * sizeof(struct kvm_cpuid_entry2);
	c = malloc(size);
	if (!c)
		return -1;
	memcpy(c, s, size);
	bool tsc_deadline = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	for (uint32_t i = 0; i < c->nent; i++)
		cpuid__patch(&c->entries[i], apic_id, nr_cpus, tsc_deadline);
	ret = ioctl(vcpu_fd, KVM_SET_CPUID2, c);
	if (ret < 0)
		fprintf(stderr, "mkvm: KVM_SET_CPUID2: %s\n", strerror(errno));
	free(c);
	return ret < 0 ? -1 : 0;
}

bool cpuid__supported(int kvm_fd, uint32_t leaf, uint32_t subleaf,
		      enum cpuid_reg reg, int bit)
{
	struct kvm_cpuid2 *s = cpuid__get_supported(kvm_fd);

	if (!s)
		return false;
	for (uint32_t i = 0; i < s->nent; i++) {
		struct kvm_cpuid_entry2 *e = &s->entries[i];
		uint32_t v[4] = { e->eax, e->ebx, e->ecx, e->edx };

		if (e->function != leaf)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != subleaf)
			continue;
		return v[reg] >> bit & 1;
	}
	return false;
}
