/* The virtual machine: one KVM VM, its guest RAM, its vCPU threads.
 *
 * Threads: main() builds the VM, starts one thread per vCPU (vcpu.c) and
 * then serves stdin for the console (term.c) until some vCPU ends the run
 * with vm__stop(). Device handlers run on the vCPU thread that trapped.
 *
 * Debugger interface (used by vmm/gdb/): vm__pause() parks every vCPU
 * outside KVM_RUN so their registers and guest memory can be read and
 * written safely; vm__resume() lets them run again. vm->debug_hook, when
 * set, is called on a vCPU thread for every KVM_EXIT_DEBUG; the vCPU goes
 * back into the guest when it returns. */
#ifndef MKVM_VM_H
#define MKVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "io.h"
#include "pci/pci.h"

#define VM_MAX_CPUS 64

struct vcpu;
struct term_backend;

struct vm {
	int kvm_fd;              /* /dev/kvm */
	int vm_fd;               /* KVM_CREATE_VM */
	int run_size;            /* KVM_GET_VCPU_MMAP_SIZE */

	uint8_t *ram;            /* host mapping of all guest RAM */
	uint64_t ram_size;       /* bytes of guest RAM (--mem) */
	uint64_t lowmem_size;    /* RAM below the 32-bit hole, at GPA 0 */
	                         /* RAM above it starts at GPA 4 GiB */

	int nr_cpus;
	struct vcpu *vcpus[VM_MAX_CPUS];

	/* Run control. stop_code >= 0 once the run is over. */
	atomic_int stop_code;
	int stop_pipe[2];        /* written once by vm__stop() */

	/* Pausing (for the gdb stub). Protected by lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pause_req;
	int nr_parked;

	/* Called on the vCPU thread on KVM_EXIT_DEBUG; may be NULL. */
	void (*debug_hook)(struct vm *vm, struct vcpu *vcpu);
	void *debug_ctx;

	/* The buses the devices sit on and the interrupt routing, set up
	 * before vm__start(). */
	struct io_bus io;
	struct pci_bus pci;
	struct irq_router irq;

	/* Where stdin goes (term.h), and the device it is called with; set
	 * before vm__start(). */
	const struct term_backend *console;
	void *console_dev;
};

/* Opens /dev/kvm, creates the VM with the in-kernel irqchip and PIT and
 * maps ram_size bytes of guest RAM. Prints the reason and returns -1 on
 * failure. There is no teardown: a VM lives until the process exits. */
int vm__init(struct vm *vm, uint64_t ram_size, int nr_cpus);

/* Host address of guest physical range [gpa, gpa+len), or NULL when any
 * of it is not RAM. Every guest-supplied address goes through this. */
void *vm__gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);

/* Creates the vCPUs and starts their threads; the boot vCPU enters at
 * the state set up by the loader (vcpu__set_pvh_entry). */
int vm__start(struct vm *vm);

/* Ends the run with process exit status code. The first call wins; it is
 * safe from any thread and from a vCPU's own exit handler. */
void vm__stop(struct vm *vm, int code);

/* Waits until vm__stop() was called; returns its code. */
int vm__wait(struct vm *vm);

/* Kicks every vCPU out of KVM_RUN and waits until all are parked. Only
 * after vm__start(). Must not be called from a vCPU thread other than
 * through debug_hook, passing that vCPU as self (it counts as parked).
 * Returns early when the run is stopped meanwhile. */
void vm__pause(struct vm *vm, struct vcpu *self);
void vm__resume(struct vm *vm);

/* One line on out: peak RSS, guest RAM resident, the difference (mkvm's
 * own overhead), exits per vCPU, accesses that hit no device. */
void vm__print_stats(struct vm *vm, FILE *out);

#endif
