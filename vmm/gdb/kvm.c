/* KVM side of the stub: KVM_GET/SET_REGS, _SREGS, _FPU, _MSRS and
 * KVM_SET_GUEST_DEBUG (Documentation/virt/kvm/api.rst). Callers hold every
 * vCPU paused (vm__pause), so no vCPU is inside KVM_RUN meanwhile. */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "gdb/kvm.h"
#include "vcpu.h"
#include "vm.h"

#define MSR_KERNEL_GS_BASE 0xc0000102u

static struct vcpu *cpu__get(struct vm *vm, unsigned cpu)
{
	return cpu < (unsigned)vm->nr_cpus ? vm->vcpus[cpu] : NULL;
}

static bool msr__get(struct vcpu *v, uint32_t index, uint64_t *val)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.e.index = index;
	if (ioctl(v->fd, KVM_GET_MSRS, &m) != 1)
		return false;
	*val = m.e.data;
	return true;
}

static bool msr__set(struct vcpu *v, uint32_t index, uint64_t val)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.e.index = index;
	m.e.data = val;
	return ioctl(v->fd, KVM_SET_MSRS, &m) == 1;
}

/* FXSAVE keeps an abridged tag (1 bit per register: valid or empty); gdb
 * shows the full tag word (2 bits: 00 valid, 11 empty). */
static uint32_t ftag__full(uint8_t abridged)
{
	uint32_t t = 0;

	for (int i = 0; i < 8; i++)
		if (!(abridged & (1u << i)))
			t |= 3u << (2 * i);
	return t;
}

static uint8_t ftag__abridged(uint32_t full)
{
	uint8_t t = 0;

	for (int i = 0; i < 8; i++)
		if (((full >> (2 * i)) & 3) != 3)
			t |= (uint8_t)(1u << i);
	return t;
}

static void regs__from_kvm(struct gdb_regs *r, const struct kvm_regs *k,
			   const struct kvm_sregs *s, const struct kvm_fpu *f)
{
	const uint64_t gpr[16] = {
		k->rax, k->rbx, k->rcx, k->rdx, k->rsi, k->rdi, k->rbp, k->rsp,
		k->r8, k->r9, k->r10, k->r11, k->r12, k->r13, k->r14, k->r15,
	};

	memcpy(r->gpr, gpr, sizeof(gpr));
	r->rip = k->rip;
	r->eflags = (uint32_t)k->rflags;
	r->seg[0] = s->cs.selector;
	r->seg[1] = s->ss.selector;
	r->seg[2] = s->ds.selector;
	r->seg[3] = s->es.selector;
	r->seg[4] = s->fs.selector;
	r->seg[5] = s->gs.selector;
	r->fs_base = s->fs.base;
	r->gs_base = s->gs.base;
	r->cr0 = s->cr0;
	r->cr2 = s->cr2;
	r->cr3 = s->cr3;
	r->cr4 = s->cr4;
	r->cr8 = s->cr8;
	r->efer = s->efer;
	for (int i = 0; i < 8; i++)
		memcpy(r->st[i], f->fpr[i], 10);
	r->fctrl = f->fcw;
	r->fstat = f->fsw;
	r->ftag = ftag__full(f->ftwx);
	r->fiseg = r->foseg = 0;	/* not kept by 64-bit FXSAVE */
	r->fioff = (uint32_t)f->last_ip;
	r->fooff = (uint32_t)f->last_dp;
	r->fop = f->last_opcode;
	memcpy(r->xmm, f->xmm, sizeof(r->xmm));
	r->mxcsr = f->mxcsr;
}

bool gdb_kvm__get_regs(struct vm *vm, unsigned cpu, struct gdb_regs *r)
{
	struct vcpu *v = cpu__get(vm, cpu);
	struct kvm_regs k;
	struct kvm_sregs s;
	struct kvm_fpu f;

	if (!v || vcpu__get_regs(v, &k) || vcpu__get_sregs(v, &s) ||
	    ioctl(v->fd, KVM_GET_FPU, &f))
		return false;
	memset(r, 0, sizeof(*r));
	regs__from_kvm(r, &k, &s, &f);
	if (!msr__get(v, MSR_KERNEL_GS_BASE, &r->k_gs_base))
		r->k_gs_base = 0;
	return true;
}

/* Writes back only what changed, so that a 'G' or 'P' from gdb does not
 * reload, say, the segment state with every register write. Selectors are
 * not written: a selector without its descriptor cache means nothing. */
bool gdb_kvm__set_regs(struct vm *vm, unsigned cpu, const struct gdb_regs *r)
{
	struct vcpu *v = cpu__get(vm, cpu);
	struct kvm_regs k;
	struct kvm_sregs s;
	struct kvm_fpu f;
	struct gdb_regs old;

	if (!v || vcpu__get_regs(v, &k) || vcpu__get_sregs(v, &s) ||
	    ioctl(v->fd, KVM_GET_FPU, &f))
		return false;
	memset(&old, 0, sizeof(old));
	regs__from_kvm(&old, &k, &s, &f);
	if (memcmp(old.gpr, r->gpr, sizeof(r->gpr)) || old.rip != r->rip ||
	    old.eflags != r->eflags) {
		__u64 *const dst[16] = {
			&k.rax, &k.rbx, &k.rcx, &k.rdx, &k.rsi, &k.rdi, &k.rbp,
			&k.rsp, &k.r8, &k.r9, &k.r10, &k.r11, &k.r12, &k.r13,
			&k.r14, &k.r15,
		};

		for (int i = 0; i < 16; i++)
			*dst[i] = r->gpr[i];
		k.rip = r->rip;
		k.rflags = (k.rflags & ~0xffffffffull) | r->eflags;
		if (vcpu__set_regs(v, &k))
			return false;
	}
	if (old.fs_base != r->fs_base || old.gs_base != r->gs_base ||
	    old.cr0 != r->cr0 || old.cr2 != r->cr2 || old.cr3 != r->cr3 ||
	    old.cr4 != r->cr4 || old.cr8 != r->cr8 || old.efer != r->efer) {
		s.fs.base = r->fs_base;
		s.gs.base = r->gs_base;
		s.cr0 = r->cr0;
		s.cr2 = r->cr2;
		s.cr3 = r->cr3;
		s.cr4 = r->cr4;
		s.cr8 = r->cr8;
		s.efer = r->efer;
		if (vcpu__set_sregs(v, &s))
			return false;
	}
	if (memcmp(old.st, r->st, sizeof(r->st)) || old.fctrl != r->fctrl ||
	    old.fstat != r->fstat || old.ftag != r->ftag ||
	    old.fop != r->fop || old.fioff != r->fioff ||
	    old.fooff != r->fooff || memcmp(old.xmm, r->xmm, sizeof(r->xmm)) ||
	    old.mxcsr != r->mxcsr) {
		for (int i = 0; i < 8; i++)
			memcpy(f.fpr[i], r->st[i], 10);
		f.fcw = (uint16_t)r->fctrl;
		f.fsw = (uint16_t)r->fstat;
		f.ftwx = ftag__abridged(r->ftag);
		f.last_opcode = (uint16_t)r->fop;
		f.last_ip = r->fioff;
		f.last_dp = r->fooff;
		memcpy(f.xmm, r->xmm, sizeof(f.xmm));
		f.mxcsr = r->mxcsr;
		if (ioctl(v->fd, KVM_SET_FPU, &f))
			return false;
	}
	if (msr__get(v, MSR_KERNEL_GS_BASE, &old.k_gs_base) &&
	    old.k_gs_base != r->k_gs_base &&
	    !msr__set(v, MSR_KERNEL_GS_BASE, r->k_gs_base))
		return false;
	return true;
}

bool gdb_kvm__read(struct vm *vm, uint64_t gpa, void *buf, size_t len)
{
	void *hva = vm__gpa_to_hva(vm, gpa, len);

	if (!hva)
		return false;
	memcpy(buf, hva, len);
	return true;
}

bool gdb_kvm__write(struct vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	void *hva = vm__gpa_to_hva(vm, gpa, len);

	if (!hva)
		return false;
	memcpy(hva, buf, len);
	return true;
}

bool gdb_kvm__step_blocks_irqs(struct vm *vm)
{
	int flags = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);

	return flags > 0 && (flags & KVM_GUESTDBG_BLOCKIRQ);
}

bool gdb_kvm__set_debug(struct vm *vm, const struct gdb_debug_cfg *cfg,
			bool block_irqs)
{
	bool ok = true;

	for (int i = 0; i < vm->nr_cpus; i++) {
		struct kvm_guest_debug d;

		memset(&d, 0, sizeof(d));
		if (cfg->sw_bp)
			d.control |= KVM_GUESTDBG_USE_SW_BP;
		if (cfg->dr7 || cfg->catch_db) {
			d.control |= KVM_GUESTDBG_USE_HW_BP;
			memcpy(d.arch.debugreg, cfg->dr, sizeof(cfg->dr));
			d.arch.debugreg[7] = cfg->dr7;
		}
		if (cfg->step_cpu == i)
			d.control |= KVM_GUESTDBG_SINGLESTEP |
				     (block_irqs ? KVM_GUESTDBG_BLOCKIRQ : 0);
		if (d.control)
			d.control |= KVM_GUESTDBG_ENABLE;
		if (vm->vcpus[i] &&
		    ioctl(vm->vcpus[i]->fd, KVM_SET_GUEST_DEBUG, &d)) {
			perror("mkvm: gdb: KVM_SET_GUEST_DEBUG");
			ok = false;
		}
	}
	return ok;
}
