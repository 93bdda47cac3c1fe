#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "cpuid.h"
#include "probe/probe.h"
#include "probe/probe_abi.h"

extern const uint8_t probe_guest_start[], probe_guest_end[];
extern const uint8_t probe_guest_syscall[], probe_guest_stubs[];

#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_SFMASK 0xc0000084
#define EFER_SCE   0x001
#define EFER_LME   0x100
#define EFER_LMA   0x400

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int read_flag(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == 'Y' || c == 'y' || c == '1' ? 1 : c ? 0 : -1;
}

/* The kernel lists "232 kvm" in /proc/misc once a KVM module has bound. */
static bool misc_has_kvm(void)
{
	char line[64];
	bool found = false;
	FILE *f = fopen("/proc/misc", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strcmp(line + strspn(line, " 0123456789"), "kvm\n") == 0;
	fclose(f);
	return found;
}

int probe__kvm_access(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), err = errno;

	if (fd >= 0) {
		close(fd);
		why[0] = 0;
		return 0;
	}
	if (err == ENOENT && !misc_has_kvm())
		snprintf(why, len, "no /dev/kvm: no KVM module is loaded "
			 "(/proc/misc lists no kvm device)%s",
			 exists("/sys/module/kvm_pvm") ?
			 "; kvm_pvm is present but registered none (dmesg says why)" : "");
	else if (err == ENOENT)
		snprintf(why, len, "no /dev/kvm although a KVM module is loaded "
			 "(create it: mknod /dev/kvm c 10 232)");
	else if (err == EACCES || err == EPERM)
		snprintf(why, len, "no permission to open /dev/kvm read-write as uid %u "
			 "(add the user to the device's group, usually kvm)", (unsigned)getuid());
	else
		snprintf(why, len, "/dev/kvm: %s", strerror(err));
	return -1;
}

static void probe__host(struct probe_result *r)
{
	if (exists("/sys/module/kvm_intel")) {
		r->module = "kvm_intel";
		r->tdp_name = "EPT";
		r->tdp = read_flag("/sys/module/kvm_intel/parameters/ept");
	} else if (exists("/sys/module/kvm_amd")) {
		r->module = "kvm_amd";
		r->tdp_name = "NPT";
		r->tdp = read_flag("/sys/module/kvm_amd/parameters/npt");
	} else {
		r->module = exists("/sys/module/kvm_pvm") ? "kvm_pvm" : "other";
		r->tdp = exists("/sys/module/kvm_pvm") ? 0 : -1;
	}
}

static void build_memory(uint8_t *m)
{
	uint64_t gdt[7] = {
		0,
		0x00209b0000000000ull,   /* 0x08 kernel code, 64-bit */
		0x00cf93000000ffffull,   /* 0x10 kernel data */
		0x00cff3000000ffffull,   /* 0x18 user data, DPL 3 */
		0x0020fb0000000000ull,   /* 0x20 user code, 64-bit, DPL 3 */
		0x00008b0000000067ull | (uint64_t)PROBE_TSS << 16, /* 0x28 TSS */
		0,
	};
	uint64_t rsp0 = PROBE_KERNEL_STACK;

	memcpy(m + PROBE_CODE, probe_guest_start, (size_t)(probe_guest_end - probe_guest_start));
	memcpy(m + PROBE_GDT, gdt, sizeof(gdt));
	memcpy(m + PROBE_TSS + 4, &rsp0, 8);
	for (int v = 0; v < 32; v++) {
		uint64_t h = PROBE_CODE + (uint64_t)(probe_guest_stubs - probe_guest_start) + 16u * (unsigned)v;
		uint64_t gate[2] = {
			(h & 0xffff) | (uint64_t)PROBE_KERNEL_CS << 16 | 0x8eull << 40 |
				(h >> 16 & 0xffff) << 48,
			h >> 32,
		};

		memcpy(m + PROBE_IDT + 16 * v, gate, 16);
	}
	/* Identity map the first 2 MiB with one user-accessible large page. */
	uint64_t pml4e = PROBE_PDPT | 7, pdpte = PROBE_PD | 7, pde = 0x87;

	memcpy(m + PROBE_PML4, &pml4e, 8);
	memcpy(m + PROBE_PDPT, &pdpte, 8);
	memcpy(m + PROBE_PD, &pde, 8);
}

static int set_state(int fd)
{
	struct kvm_sregs s;
	struct kvm_regs regs = { .rip = PROBE_CODE, .rsp = PROBE_KERNEL_STACK, .rflags = 2 };
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = PROBE_KERNEL_CS,
				    .type = 0xb, .present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = PROBE_KERNEL_DS,
				    .type = 0x3, .present = 1, .s = 1, .db = 1, .g = 1 };
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[3];
	} msrs = { .h.nmsrs = 3, .e = {
		{ .index = MSR_STAR, .data = (uint64_t)PROBE_KERNEL_CS << 32 |
					     (uint64_t)PROBE_KERNEL_DS << 48 },
		{ .index = MSR_LSTAR, .data = PROBE_CODE +
			(uint64_t)(probe_guest_syscall - probe_guest_start) },
		{ .index = MSR_SFMASK, .data = 0x700 },
	} };

	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = (struct kvm_segment){ .base = PROBE_TSS, .limit = 0x67, .selector = PROBE_TSS_SEL,
				     .type = 0xb, .present = 1 };
	s.gdt.base = PROBE_GDT;
	s.gdt.limit = 7 * 8 - 1;
	s.idt.base = PROBE_IDT;
	s.idt.limit = 32 * 16 - 1;
	s.cr0 = 0x80050033;              /* PG WP NE ET MP PE */
	s.cr3 = PROBE_PML4;
	s.cr4 = 0x20;                    /* PAE */
	s.efer = EFER_LME | EFER_LMA | EFER_SCE;
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0 || ioctl(fd, KVM_SET_REGS, &regs) < 0)
		return -1;
	return ioctl(fd, KVM_SET_MSRS, &msrs) == 3 ? 0 : -1;
}

static void probe__alarm(int sig)
{
	(void)sig;                       /* interrupts KVM_RUN */
}

/* Runs the guest on vcpu until PROBE_DONE, a stop, or one second. */
static void run_guest(struct probe_result *r, int fd, struct kvm_run *run)
{
	struct sigaction sa = { .sa_handler = probe__alarm }, old;
	struct itimerval t = { .it_value = { .tv_sec = 1 } }, off = { 0 };

	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &t, NULL);
	for (int exits = 0; exits < 100; exits++) {
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			snprintf(r->error, sizeof(r->error), "probe guest: KVM_RUN: %s",
				 errno == EINTR ? "timed out" : strerror(errno));
			break;
		}
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != PROBE_PORT ||
		    run->io.size != 4) {
			snprintf(r->error, sizeof(r->error),
				 "probe guest stopped with KVM exit %u", run->exit_reason);
			break;
		}
		uint32_t v;

		memcpy(&v, (uint8_t *)run + run->io.data_offset, 4);
		if (v == PROBE_DONE) {
			r->guest_ran = true;
			break;
		}
		if (v == PROBE_PCIDE_OK)
			r->pcide_ok = true;
		else if (v == PROBE_SYSCALL_OK)
			r->syscall_ok = true;
		else if ((v & 0xff) == PROBE_FAULT && (v >> 8 & 0xff) == 2)
			r->syscall_fault = (v >> 16) + 1;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
}

static void probe__guest(struct probe_result *r)
{
	int kvm = -1, vm = -1, vcpu = -1, run_size;
	uint8_t *mem = MAP_FAILED;
	struct kvm_run *run = MAP_FAILED;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		snprintf(r->error, sizeof(r->error), "/dev/kvm: %s", strerror(errno));
		return;
	}
	r->cpuid_pcid = cpuid__supported(kvm, 1, 0, CPUID_ECX, 17);
	r->cpuid_invpcid = cpuid__supported(kvm, 7, 0, CPUID_EBX, 10);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	mem = mmap(NULL, PROBE_MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || run_size <= 0 || mem == MAP_FAILED) {
		snprintf(r->error, sizeof(r->error), "cannot create the probe VM: %s",
			 strerror(errno));
		goto out;
	}
	build_memory(mem);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .memory_size = PROBE_MEM_SIZE, .userspace_addr = (uintptr_t)mem,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0 ||
	    (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0 ||
	    (run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			vcpu, 0)) == MAP_FAILED ||
	    cpuid__setup(kvm, vcpu, 0, 1) || set_state(vcpu)) {
		snprintf(r->error, sizeof(r->error), "cannot set up the probe vCPU: %s",
			 strerror(errno));
		goto out;
	}
	run_guest(r, vcpu, run);
out:
	if (run != MAP_FAILED)
		munmap(run, (size_t)run_size);
	if (mem != MAP_FAILED)
		munmap(mem, PROBE_MEM_SIZE);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	close(kvm);
}

int probe__run(struct probe_result *r)
{
	memset(r, 0, sizeof(*r));
	if (probe__kvm_access(r->no_kvm, sizeof(r->no_kvm)))
		return -1;
	probe__host(r);
	probe__guest(r);
	return r->guest_ran && r->syscall_ok ? 0 : -1;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* What the probe guest observed. */
static void print_guest(const struct probe_result *r, FILE *out)
{
	fprintf(out, "SYSCALL to CPL0:    %s", r->syscall_ok ? "ok" : "FAILED");
	if (r->syscall_fault)
		fprintf(out, " (exception %u at LSTAR: still in ring 3)", r->syscall_fault - 1);
	fprintf(out, "\nCR4.PCIDE settable: %s\n", yes_no(r->pcide_ok));
}

void probe__print(const struct probe_result *r, FILE *out)
{
	if (r->no_kvm[0]) {
		fprintf(out, "/dev/kvm:           unusable: %s\n", r->no_kvm);
		fprintf(out, "verdict:            this host cannot run KVM guests\n");
		return;
	}
	fprintf(out, "/dev/kvm:           ok\n");
	fprintf(out, "kvm module:         %s\n", r->module);
	if (r->tdp_name)
		fprintf(out, "2D paging (%s):    %s\n", r->tdp_name,
			r->tdp < 0 ? "unknown" : r->tdp ? "on" : "off");
	else
		fprintf(out, "2D paging:          %s\n",
			r->tdp == 0 ? "off (shadow paging)" : "unknown");
	if (r->error[0])
		fprintf(out, "probe guest:        failed: %s\n", r->error);
	else
		fprintf(out, "probe guest:        ran\n");
	if (!r->guest_ran && !r->syscall_ok && !r->syscall_fault)
		fprintf(out, "SYSCALL to CPL0:    not measured (the probe guest did not run)\n"
			"CR4.PCIDE settable: not measured\n");
	else
		print_guest(r, out);
	fprintf(out, "CPUID PCID:         %s\n", yes_no(r->cpuid_pcid));
	fprintf(out, "CPUID INVPCID:      %s\n", yes_no(r->cpuid_invpcid));
	fprintf(out, "verdict:            %s\n", r->guest_ran && r->syscall_ok ?
		"this host can run the mkvm kernel" : r->guest_ran || r->syscall_fault ?
		"this host cannot run a guest that uses SYSCALL from ring 3" :
		"unknown: the probe guest did not run");
}
