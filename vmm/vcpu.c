/* vCPU threads and the exit loop. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mkvm/testexit.h>

#include "cpuid.h"
#include "io.h"
#include "seccomp.h"
#include "vcpu.h"
#include "boot/pvh.h"
#include "vm.h"

struct vcpu *vcpu__create(struct vm *vm, int id)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));

	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0) {
		fprintf(stderr, "mkvm: KVM_CREATE_VCPU %d: %s\n", id, strerror(errno));
		free(vcpu);
		return NULL;
	}
	vcpu->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED ||
	    cpuid__setup(vm->kvm_fd, vcpu->fd, id, vm->nr_cpus)) {
		fprintf(stderr, "mkvm: cannot set up vCPU %d\n", id);
		if (vcpu->run != MAP_FAILED)
			munmap(vcpu->run, (size_t)vm->run_size);
		close(vcpu->fd);
		free(vcpu);
		return NULL;
	}
	vm->vcpus[id] = vcpu;
	return vcpu;
}

int vcpu__get_regs(struct vcpu *vcpu, struct kvm_regs *regs)
{
	return ioctl(vcpu->fd, KVM_GET_REGS, regs);
}

int vcpu__set_regs(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	return ioctl(vcpu->fd, KVM_SET_REGS, regs);
}

int vcpu__get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs)
{
	return ioctl(vcpu->fd, KVM_GET_SREGS, sregs);
}

int vcpu__set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return ioctl(vcpu->fd, KVM_SET_SREGS, sregs);
}

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector,
		.type = type, .present = 1, .dpl = 0, .db = 1, .s = 1, .g = 1,
	};
}

int vcpu__set_pvh_entry(struct vcpu *vcpu, uint32_t entry, uint32_t start_info)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = entry, .rbx = start_info, .rflags = 0x2 };

	if (vcpu__get_sregs(vcpu, &sregs))
		return -1;
	sregs.cs = flat_segment(0x08, 0xb);  /* execute/read, accessed */
	sregs.ds = sregs.es = sregs.ss = flat_segment(0x10, 0x3); /* read/write */
	sregs.fs = sregs.gs = sregs.ds;
	sregs.tr = (struct kvm_segment){ .selector = 0x18, .limit = 0x67,
					 .type = 0xb, .present = 1 };
	sregs.gdt.base = PVH_GDT_ADDR;
	sregs.gdt.limit = PVH_GDT_LIMIT;
	sregs.cr0 = 0x11;                    /* PE, ET; paging off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (vcpu__set_sregs(vcpu, &sregs) || vcpu__set_regs(vcpu, &regs))
		return -1;
	return 0;
}

void vcpu__kick(struct vcpu *vcpu)
{
	vcpu->run->immediate_exit = 1;
	if (vcpu->thread && !pthread_equal(vcpu->thread, pthread_self()))
		pthread_kill(vcpu->thread, SIGUSR1);
}

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO", [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN", [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR", [KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS", [KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
};

static const char *exit_name(unsigned reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[reason])
		return exit_names[reason];
	return "?";
}

static void dump_segment(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, "%-3s sel=%04x base=%016llx limit=%08x type=%x dpl=%d p=%d l=%d db=%d\n",
		name, s->selector, (unsigned long long)s->base, s->limit,
		s->type, s->dpl, s->present, s->l, s->db);
}

void vcpu__dump(struct vcpu *vcpu, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	fprintf(out, "vCPU %d state:\n", vcpu->id);
	if (vcpu__get_regs(vcpu, &r) == 0) {
		fprintf(out, "RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n"
			     "RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n"
			     "R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n"
			     "R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n"
			     "RIP=%016llx RFLAGS=%08llx\n",
			r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp,
			r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
			r.rip, r.rflags);
	}
	if (vcpu__get_sregs(vcpu, &s) == 0) {
		fprintf(out, "CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx EFER=%llx\n",
			s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
		dump_segment(out, "CS", &s.cs);
		dump_segment(out, "SS", &s.ss);
		dump_segment(out, "DS", &s.ds);
		dump_segment(out, "ES", &s.es);
		dump_segment(out, "FS", &s.fs);
		dump_segment(out, "GS", &s.gs);
		dump_segment(out, "TR", &s.tr);
		fprintf(out, "GDT base=%016llx limit=%04x  IDT base=%016llx limit=%04x\n",
			s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
	}
	unsigned n = vcpu->nr_exits < VCPU_HISTORY ? vcpu->nr_exits : VCPU_HISTORY;

	fprintf(out, "last %u of %u exits (oldest first):", n, vcpu->nr_exits);
	for (unsigned i = vcpu->nr_exits - n; i != vcpu->nr_exits; i++)
		fprintf(out, " %s", exit_name(vcpu->history[i % VCPU_HISTORY]));
	fprintf(out, "\n");
}

static void vcpu__handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		io__access(&vcpu->vm->io, vcpu, IO_PIO, run->io.port, data, run->io.size,
			   run->io.direction == KVM_EXIT_IO_OUT);
}

static void vcpu__crash(struct vcpu *vcpu, int code, const char *what)
{
	fprintf(stderr, "mkvm: vCPU %d: %s\n", vcpu->id, what);
	vcpu__dump(vcpu, stderr);
	vm__stop(vcpu->vm, code);
}

/* Describes KVM_EXIT_INTERNAL_ERROR; for an emulation failure the data
 * words start with flags and the instruction bytes KVM could not emulate. */
static void vcpu__internal_error(struct vcpu *vcpu, char *msg, size_t size)
{
	struct kvm_run *run = vcpu->run;
	uint32_t n = run->internal.ndata < 16 ? run->internal.ndata : 16;
	int len = snprintf(msg, size, "KVM internal error, suberror %u%s",
			   run->internal.suberror,
			   run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
			   " (instruction emulation failed)" : "");

	for (uint32_t i = 0; i < n && len > 0 && (size_t)len < size; i++)
		len += snprintf(msg + len, size - (size_t)len, "%s%llx", i ? " " : ", data ",
				(unsigned long long)run->internal.data[i]);
}

/* Handles one exit. Returns false when the run is over. */
static bool vcpu__handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char msg[320];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu__handle_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		io__access(&vcpu->vm->io, vcpu, IO_MMIO, run->mmio.phys_addr, run->mmio.data,
			   run->mmio.len, run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_DEBUG:
		if (vcpu->vm->debug_hook)
			vcpu->vm->debug_hook(vcpu->vm, vcpu);
		return true;
	case KVM_EXIT_HLT:
		fprintf(stderr, "mkvm: vCPU %d halted\n", vcpu->id);
		vm__stop(vcpu->vm, MKVM_EXIT_SHUTDOWN);
		return false;
	case KVM_EXIT_SHUTDOWN:
		vcpu__crash(vcpu, MKVM_EXIT_GUEST_CRASH, "triple fault (KVM_EXIT_SHUTDOWN)");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH) {
			vcpu__crash(vcpu, MKVM_EXIT_GUEST_CRASH, "guest reported a crash");
			return false;
		}
		vm__stop(vcpu->vm, MKVM_EXIT_SHUTDOWN);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(msg, sizeof(msg), "KVM entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu__crash(vcpu, MKVM_EXIT_INTERNAL, msg);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu__internal_error(vcpu, msg, sizeof(msg));
		vcpu__crash(vcpu, MKVM_EXIT_INTERNAL, msg);
		return false;
	default:
		snprintf(msg, sizeof(msg), "unhandled KVM exit %u (%s)",
			 run->exit_reason, exit_name(run->exit_reason));
		vcpu__crash(vcpu, MKVM_EXIT_INTERNAL, msg);
		return false;
	}
}

/* Parks the calling vCPU while a pause is requested (see vm__pause). */
static void vcpu__park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->lock);
	if (vm->pause_req) {
		vm->nr_parked++;
		pthread_cond_broadcast(&vm->cond);
		while (vm->pause_req && atomic_load(&vm->stop_code) < 0)
			pthread_cond_wait(&vm->cond, &vm->lock);
		vm->nr_parked--;
	}
	pthread_mutex_unlock(&vm->lock);
}

static void *vcpu__thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	char name[16];

	snprintf(name, sizeof(name), "vCPU %d", vcpu->id);
	seccomp__install(SECCOMP_VCPU, name);
	while (atomic_load(&vm->stop_code) < 0) {
		vcpu__park(vcpu);
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			fprintf(stderr, "mkvm: vCPU %d: KVM_RUN: %s\n", vcpu->id, strerror(errno));
			vcpu__dump(vcpu, stderr);
			vm__stop(vm, MKVM_EXIT_INTERNAL);
			break;
		}
		vcpu->history[vcpu->nr_exits++ % VCPU_HISTORY] = vcpu->run->exit_reason;
		if (!vcpu__handle_exit(vcpu))
			break;
	}
	return NULL;
}

int vcpu__start(struct vcpu *vcpu)
{
	int err = pthread_create(&vcpu->thread, NULL, vcpu__thread, vcpu);

	if (err) {
		fprintf(stderr, "mkvm: cannot start vCPU %d: %s\n", vcpu->id, strerror(err));
		return -1;
	}
	return 0;
}
