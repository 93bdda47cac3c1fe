/* mkvm: parse the command line, check the host, build the machine, load
 * the PVH kernel, run the vCPUs until the guest ends the run. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mkvm/testexit.h>

#include "acpi/acpi.h"
#include "boot/smbios.h"
#include "boot/elf.h"
#include "boot/pvh.h"
#include "cli.h"
#include "config/domain.h"
#include "devices/devices.h"
#include "devices/serial.h"
#include "gdb/gdb.h"
#include "irq.h"
#include "layout.h"
#include "pci/pci.h"
#include "privs.h"
#include "probe/probe.h"
#include "seccomp.h"
#include "term.h"
#include "vcpu.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "vm.h"

struct file_map {
	const uint8_t *data;
	size_t size;
};

static int map_file(const char *what, const char *path, struct file_map *f)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "mkvm: cannot open %s '%s': %s\n", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "mkvm: %s '%s' is not a regular file\n", what, path);
		close(fd);
		return -1;
	}
	f->size = (size_t)st.st_size;
	f->data = f->size ? mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (f->data == MAP_FAILED) {
		fprintf(stderr, "mkvm: cannot map %s '%s': %s\n", what, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Refuses to boot on a host whose KVM gets ring 3 -> ring 0 wrong. */
static int check_host(void)
{
	struct probe_result r;

	if (probe__run(&r) == 0)
		return 0;
	fprintf(stderr, "mkvm: this host's KVM (%s) cannot run the guest correctly: ", r.module);
	if (r.error[0])
		fprintf(stderr, "%s\n", r.error);
	else if (r.syscall_fault)
		fprintf(stderr, "SYSCALL from ring 3 does not reach CPL0 "
			"(exception %u at LSTAR)\n", r.syscall_fault - 1);
	else
		fprintf(stderr, "SYSCALL from ring 3 does not reach CPL0\n");
	fprintf(stderr, "mkvm: use a host with kvm_intel or kvm_amd; here, `make run` boots "
		"the system on the nested platform (QEMU -> Linux KVM -> mkvm).\n"
		"mkvm: --no-host-check boots anyway (for guests that never leave ring 0); "
		"`mkvm --probe` shows details.\n");
	return -1;
}

/* Loads kernel and boot module and writes the boot information. Returns
 * the start info address, or 0 after printing why. */
static uint64_t load_guest(struct vm *vm, const struct config *cfg,
			   const struct file_map *kernel, const struct elf_image *img,
			   const struct file_map *initrd)
{
	struct pvh_boot b = { .ram_size = vm->ram_size, .cmdline = cfg->cmdline };
	char err[256];

	if (elf__check_placement(img, HIGH_RAM_START, vm->lowmem_size, err, sizeof(err))) {
		fprintf(stderr, "mkvm: kernel '%s': %s\n", cfg->kernel, err);
		return 0;
	}
	elf__load(img, kernel->data, vm->ram);
	if (cfg->initrd) {
		if (pvh__place_module(vm->lowmem_size, img->end, initrd->size, &b.module_addr)) {
			fprintf(stderr, "mkvm: initrd '%s' (%zu bytes) does not fit in guest RAM "
				"above the kernel; try a larger --mem\n", cfg->initrd, initrd->size);
			return 0;
		}
		b.module_size = initrd->size;
		memcpy(vm->ram + b.module_addr, initrd->data, initrd->size);
	}
	if (!acpi__build(vm->ram + ACPI_ADDR, ACPI_SIZE, ACPI_ADDR, vm->nr_cpus)) {
		fprintf(stderr, "mkvm: ACPI tables do not fit\n");
		return 0;
	}
	b.rsdp_addr = ACPI_ADDR;
	if (!smbios__build(vm->ram + SMBIOS_ADDR, SMBIOS_SIZE, SMBIOS_ADDR, MKVM_VERSION)) {
		fprintf(stderr, "mkvm: SMBIOS tables do not fit\n");
		return 0;
	}
	return pvh__write(vm->ram, &b);
}

/* The virtio devices asked for; each prints its own error. */
static int setup_virtio(struct vm *vm, const struct config *cfg, int out)
{
	for (int i = 0; i < cfg->nr_disks; i++)
		if (virtio_blk__init(vm, cfg->disks[i].path, cfg->disks[i].readonly,
				     &cfg->disks[i].limit))
			return MKVM_EXIT_IMAGE;
	for (int i = 0; i < cfg->nr_nets; i++)
		if (virtio_net__init(vm, cfg->nets[i].spec, &cfg->nets[i].limit))
			return MKVM_EXIT_USAGE;
	if ((cfg->console && virtio_console__init(vm, NULL, out)) ||
	    (cfg->rng && virtio_rng__init(vm, &cfg->rng_limit)))
		return MKVM_EXIT_INTERNAL;
	return 0;
}

static int setup_devices(struct vm *vm, const struct config *cfg)
{
	int out = STDOUT_FILENO;

	if (cfg->serial) {
		out = open(cfg->serial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0) {
			fprintf(stderr, "mkvm: cannot open serial log '%s': %s\n",
				cfg->serial, strerror(errno));
			return MKVM_EXIT_USAGE;
		}
	}
	irq__init(vm, !cfg->no_irqfd);
	if (serial__init(vm, out) || debugexit__init() || pm__init() || pci__init()) {
		fprintf(stderr, "mkvm: cannot set up the devices\n");
		return MKVM_EXIT_INTERNAL;
	}
	return setup_virtio(vm, cfg, out);
}

static int boot(const struct config *cfg)
{
	struct file_map kernel, initrd = { 0 };
	struct elf_image img;
	static struct vm vm;
	uint64_t start_info;
	char err[256];
	int rc;

	if (cfg->cmdline && strlen(cfg->cmdline) >= BOOT_CMDLINE_MAX) {
		fprintf(stderr, "mkvm: --cmdline is longer than %llu bytes\n",
			BOOT_CMDLINE_MAX - 1);
		return MKVM_EXIT_USAGE;
	}
	if (map_file("kernel", cfg->kernel, &kernel) ||
	    (cfg->initrd && map_file("initrd", cfg->initrd, &initrd)))
		return MKVM_EXIT_IMAGE;
	if (elf__parse(kernel.data, kernel.size, &img, err, sizeof(err))) {
		fprintf(stderr, "mkvm: kernel '%s': %s\n", cfg->kernel, err);
		return MKVM_EXIT_IMAGE;
	}
	if (!cfg->no_host_check && check_host())
		return MKVM_EXIT_HOST;
	if (vm__init(&vm, cfg->mem, cfg->cpus))
		return access("/dev/kvm", F_OK) ? MKVM_EXIT_HOST : MKVM_EXIT_INTERNAL;
	start_info = load_guest(&vm, cfg, &kernel, &img, &initrd);
	if (!start_info)
		return MKVM_EXIT_IMAGE;
	/* Threads from here on confine themselves once set up (seccomp.h). */
	if (privs__no_new_privs() ||
	    (!cfg->no_seccomp && seccomp__enable(cfg->seccomp_selftest)))
		return MKVM_EXIT_INTERNAL;
	rc = setup_devices(&vm, cfg);
	if (rc)
		return rc;
	/* Disks, TAPs, the serial log and /dev/kvm are open: root, if it was,
	 * is no longer needed. */
	if (privs__drop(cfg->user, cfg->group))
		return MKVM_EXIT_USAGE;
	for (int i = 0; i < cfg->cpus; i++)
		if (!vcpu__create(&vm, i))
			return MKVM_EXIT_INTERNAL;
	if (vcpu__set_pvh_entry(vm.vcpus[0], img.entry, (uint32_t)start_info)) {
		fprintf(stderr, "mkvm: cannot set the boot vCPU's entry state\n");
		return MKVM_EXIT_INTERNAL;
	}
	if (cfg->gdb && gdb__start(&vm, cfg->gdb, cfg->gdb_wait))
		return MKVM_EXIT_USAGE;
	term__init();
	if (vm__start(&vm))
		return MKVM_EXIT_INTERNAL;
	seccomp__install(SECCOMP_MAIN, "main");
	rc = term__run(&vm);
	if (cfg->stats) {
		vm__print_stats(&vm, stderr);
		irq__print_stats(stderr);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct probe_result r;
	char err[256];

	if (cli__parse(&cfg, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "mkvm: %s\n", err);
		return MKVM_EXIT_USAGE;
	}
	if (cfg.help) {
		cli__usage(stdout);
		return 0;
	}
	if (cfg.version) {
		printf("mkvm %s\n", MKVM_VERSION);
		return 0;
	}
	if (cfg.probe) {
		int bad = probe__run(&r);

		probe__print(&r, stdout);
		return bad ? 1 : 0;
	}
	if (cfg.domain) {
		static struct domain dom;       /* cfg points into it until exit */

		if (domain__parse_file(&dom, cfg.domain, err, sizeof(err)) ||
		    domain__apply(&dom, &cfg, err, sizeof(err))) {
			fprintf(stderr, "mkvm: %s\n", err);
			return MKVM_EXIT_USAGE;
		}
	}
	exit(boot(&cfg));
}
