/* VM lifetime, guest RAM and run control (stop, pause/resume). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "io.h"
#include "layout.h"
#include "vcpu.h"
#include "vm.h"

/* Addresses KVM needs for its own use on Intel (real-mode TSS and identity
 * page table), just below the BIOS area and out of everything we map. */
#define KVM_TSS_ADDR      0xfffbd000ull
#define KVM_IDMAP_ADDR    0xfffbc000ull

static int set_region(struct vm *vm, uint32_t slot, uint64_t gpa,
		      uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		fprintf(stderr, "mkvm: KVM_SET_USER_MEMORY_REGION: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int vm__create_irqchip(struct vm *vm)
{
	/* KVM_PIT_SPEAKER_DUMMY: port 0x61 served in the kernel too, so its
	 * bit 5 is PIT channel 2's output. Without it 0x61 is unclaimed and
	 * reads 0xff: a guest that times 10 ms of channel 2 to calibrate its
	 * TSC and APIC timer sees it end at once, and its clock then runs
	 * several times too fast. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t idmap = KVM_IDMAP_ADDR;

	/* Both are Intel-only necessities; harmless elsewhere. */
	ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR);

	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		fprintf(stderr, "mkvm: KVM_CREATE_IRQCHIP: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		fprintf(stderr, "mkvm: KVM_CREATE_PIT2: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void vm__kick_signal(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

int vm__init(struct vm *vm, uint64_t ram_size, int nr_cpus)
{
	struct sigaction sa = { .sa_handler = vm__kick_signal };

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	vm->nr_cpus = nr_cpus;
	vm->ram_size = ram_size;
	vm->lowmem_size = ram_size < MEM_HOLE_START ? ram_size : MEM_HOLE_START;
	atomic_init(&vm->stop_code, -1);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (pipe2(vm->stop_pipe, O_CLOEXEC) < 0)
		return -1;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		fprintf(stderr, "mkvm: /dev/kvm: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "mkvm: /dev/kvm has an unknown API version\n");
		return -1;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->run_size <= 0 || vm->vm_fd < 0) {
		fprintf(stderr, "mkvm: KVM_CREATE_VM: %s\n", strerror(errno));
		return -1;
	}
	if (vm__create_irqchip(vm))
		return -1;

	vm->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		fprintf(stderr, "mkvm: cannot map %llu bytes of guest RAM: %s\n",
			(unsigned long long)ram_size, strerror(errno));
		return -1;
	}
	/* A core dump of mkvm must not carry the guest's memory (its keys,
	 * its users' data), nor take gigabytes. */
	if (madvise(vm->ram, ram_size, MADV_DONTDUMP))
		fprintf(stderr, "mkvm: madvise(MADV_DONTDUMP) on guest RAM: %s\n",
			strerror(errno));
	if (set_region(vm, 0, 0, vm->lowmem_size, vm->ram))
		return -1;
	if (ram_size > vm->lowmem_size &&
	    set_region(vm, 1, HIGH_MEM_START, ram_size - vm->lowmem_size,
		       vm->ram + vm->lowmem_size))
		return -1;
	return 0;
}

void *vm__gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t high = vm->ram_size - vm->lowmem_size;

	if (gpa + len < gpa)
		return NULL;
	if (gpa + len <= vm->lowmem_size)
		return vm->ram + gpa;
	if (gpa >= HIGH_MEM_START && gpa - HIGH_MEM_START + len <= high)
		return vm->ram + vm->lowmem_size + (gpa - HIGH_MEM_START);
	return NULL;
}

int vm__start(struct vm *vm)
{
	for (int i = 0; i < vm->nr_cpus; i++)
		if (vcpu__start(vm->vcpus[i]))
			return -1;
	return 0;
}

void vm__stop(struct vm *vm, int code)
{
	int expected = -1;
	char c = 0;

	if (!atomic_compare_exchange_strong(&vm->stop_code, &expected, code))
		return;
	if (write(vm->stop_pipe[1], &c, 1) < 0)
		perror("mkvm: stop");
	for (int i = 0; i < vm->nr_cpus; i++)
		if (vm->vcpus[i])
			vcpu__kick(vm->vcpus[i]);
	pthread_mutex_lock(&vm->lock);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

int vm__wait(struct vm *vm)
{
	char c;

	while (read(vm->stop_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return atomic_load(&vm->stop_code);
}

void vm__pause(struct vm *vm, struct vcpu *self)
{
	int others = vm->nr_cpus - (self ? 1 : 0);

	pthread_mutex_lock(&vm->lock);
	vm->pause_req = true;
	for (int i = 0; i < vm->nr_cpus; i++)
		if (vm->vcpus[i] != self)
			vcpu__kick(vm->vcpus[i]);
	while (vm->nr_parked < others && atomic_load(&vm->stop_code) < 0)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

void vm__resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->pause_req = false;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

void vm__print_stats(struct vm *vm, FILE *out)
{
	struct rusage ru;
	uint64_t pages = (vm->ram_size + 4095) / 4096, resident = 0;
	unsigned char *vec;

	getrusage(RUSAGE_SELF, &ru);     /* before allocating anything more */
	vec = malloc(pages);
	if (vec && mincore(vm->ram, vm->ram_size, vec) == 0)
		for (uint64_t i = 0; i < pages; i++)
			resident += vec[i] & 1;
	free(vec);
	long guest_kib = (long)(resident * 4);

	fprintf(out, "mkvm: stats: peak RSS %ld KiB, guest RAM resident %ld KiB, "
		"overhead %ld KiB; exits:", ru.ru_maxrss, guest_kib, ru.ru_maxrss - guest_kib);
	for (int i = 0; i < vm->nr_cpus; i++)
		if (vm->vcpus[i])
			fprintf(out, " vcpu%d=%u", i, vm->vcpus[i]->nr_exits);
	fprintf(out, "; unclaimed I/O %llu\n", (unsigned long long)io__unclaimed_count(&vm->io));
}
