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
#include "device.h"
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

/* Refuses to boot on a host without usable KVM, or (unless no_host_check)
 * one whose KVM gets ring 3 -> ring 0 wrong. */
static int check_host(bool no_host_check)
{
	struct probe_result r;
	char why[200];

	if (no_host_check) {
		if (probe__kvm_access(why, sizeof(why)) == 0)
			return 0;
		fprintf(stderr, "mkvm: cannot run a guest on this host: %s\n", why);
		return -1;
	}
	if (probe__run(&r) == 0)
		return 0;
	if (r.no_kvm[0])
		fprintf(stderr, "mkvm: cannot run a guest on this host: %s\n", r.no_kvm);
	else if (r.error[0])
		fprintf(stderr, "mkvm: this host's KVM (%s) cannot run the guest correctly: %s\n",
			r.module, r.error);
	else if (r.syscall_fault)
		fprintf(stderr, "mkvm: this host's KVM (%s) cannot run the guest correctly: "
			"SYSCALL from ring 3 does not reach CPL0 (exception %u at LSTAR)\n",
			r.module, r.syscall_fault - 1);
	else
		fprintf(stderr, "mkvm: this host's KVM (%s) cannot run the guest correctly: "
			"SYSCALL from ring 3 does not reach CPL0\n", r.module);
	fprintf(stderr, "mkvm: use a host with kvm_intel or kvm_amd, or a Linux guest with "
		"nested KVM on such a host.\n");
	if (!r.no_kvm[0])
		fprintf(stderr, "mkvm: --no-host-check boots anyway (for guests that never "
			"leave ring 0); `mkvm --probe` shows details.\n");
	return -1;
}

/* What validate() found usable: the mapped kernel and boot module, where
 * the module goes in guest RAM, and the serial output. */
struct guest_files {
	struct file_map kernel, initrd;
	struct elf_image img;
	uint64_t module_addr;
	int out;                 /* serial log, or stdout */
};

/* Guest RAM below the 32-bit hole, as vm__init lays it out. */
static uint64_t lowmem_of(uint64_t ram_size)
{
	return ram_size < MEM_HOLE_START ? ram_size : MEM_HOLE_START;
}

/* The directory of the guest programs' ELFs that gdb is told (--gdb-os):
 * the one given, none for "off", or else image/ beside the boot module
 * if there is one. Returns false for none. */
static bool gdb_programs_dir(const struct config *cfg, char *dir, size_t len)
{
	char path[CLI_MAX_PATH], *slash;
	struct stat st;

	if (cfg->gdb_os)
		return strcmp(cfg->gdb_os, "off") &&
		       (size_t)snprintf(dir, len, "%s", cfg->gdb_os) < len;
	if (!cfg->initrd || !realpath(cfg->initrd, path) || !(slash = strrchr(path, '/')))
		return false;
	*slash = '\0';
	if ((size_t)snprintf(dir, len, "%s/image", path) >= len)
		return false;
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Kernel and boot module: readable, a PVH ELF, and both fit in guest RAM. */
static int validate_images(const struct config *cfg, struct guest_files *g)
{
	char err[256];

	if (map_file("kernel", cfg->kernel, &g->kernel) ||
	    (cfg->initrd && map_file("initrd", cfg->initrd, &g->initrd)))
		return MKVM_EXIT_IMAGE;
	if (elf__parse(g->kernel.data, g->kernel.size, &g->img, err, sizeof(err)) ||
	    elf__check_placement(&g->img, HIGH_RAM_START, lowmem_of(cfg->mem), err,
				 sizeof(err))) {
		fprintf(stderr, "mkvm: kernel '%s': %s\n", cfg->kernel, err);
		return MKVM_EXIT_IMAGE;
	}
	if (cfg->initrd && pvh__place_module(lowmem_of(cfg->mem), g->img.end, g->initrd.size,
					     &g->module_addr)) {
		fprintf(stderr, "mkvm: initrd '%s' (%zu bytes) does not fit in guest RAM "
			"above the kernel; try a larger --mem\n", cfg->initrd, g->initrd.size);
		return MKVM_EXIT_IMAGE;
	}
	return 0;
}

/* What each declared device (device.h) checks before KVM is opened. */
static int validate_devices(void)
{
	const struct device_decl *devs[DEVICE_MAX];
	int n = device__list(devs), rc;

	for (int i = 0; i < n; i++) {
		rc = devs[i]->validate ? devs[i]->validate() : 0;
		if (rc)
			return rc;
	}
	return 0;
}

/* Everything that can be checked without KVM is checked before /dev/kvm
 * is opened, in this order, so that bad arguments and images get their
 * own error on any host: the command line, the kernel and boot module,
 * what the devices check (disk images open as the device will open them),
 * the serial log. */
static int validate(const struct config *cfg, struct guest_files *g)
{
	int rc;

	if (cfg->cmdline && strlen(cfg->cmdline) >= BOOT_CMDLINE_MAX) {
		fprintf(stderr, "mkvm: --cmdline is longer than %llu bytes\n",
			BOOT_CMDLINE_MAX - 1);
		return MKVM_EXIT_USAGE;
	}
	rc = validate_images(cfg, g);
	if (rc)
		return rc;
	rc = validate_devices();
	if (rc)
		return rc;
	g->out = STDOUT_FILENO;
	if (cfg->serial) {
		g->out = open(cfg->serial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (g->out < 0) {
			fprintf(stderr, "mkvm: cannot open serial log '%s': %s\n",
				cfg->serial, strerror(errno));
			return MKVM_EXIT_USAGE;
		}
	}
	return 0;
}

/* Loads kernel and boot module and writes the boot information (their
 * placement was checked by validate()). Returns the start info address,
 * or 0 after printing why. */
static uint64_t load_guest(struct vm *vm, const struct config *cfg,
			   const struct guest_files *g)
{
	struct pvh_boot b = { .ram_size = vm->ram_size, .cmdline = cfg->cmdline };

	elf__load(&g->img, g->kernel.data, vm->ram);
	if (cfg->initrd) {
		b.module_addr = g->module_addr;
		b.module_size = g->initrd.size;
		memcpy(vm->ram + b.module_addr, g->initrd.data, g->initrd.size);
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

/* The declared devices (device.h), in their order; each sets up what its
 * settings ask for and prints its own error. */
static int setup_declared(struct vm *vm, int out)
{
	const struct device_decl *devs[DEVICE_MAX];
	int n = device__list(devs), rc;

	for (int i = 0; i < n; i++) {
		rc = devs[i]->init(vm, out);
		if (rc)
			return rc;
	}
	return 0;
}

static int setup_devices(struct vm *vm, const struct config *cfg, int out)
{
	irq__init(&vm->irq, vm, !cfg->no_irqfd);
	if (serial__init(vm, out) || debugexit__init(&vm->io) || pm__init(&vm->io) ||
	    pci__init(&vm->pci, &vm->io, &vm->irq)) {
		fprintf(stderr, "mkvm: cannot set up the devices\n");
		return MKVM_EXIT_INTERNAL;
	}
	return setup_declared(vm, out);
}

static int boot(const struct config *cfg)
{
	static struct guest_files g;
	static struct vm vm;
	uint64_t start_info;
	int rc;

	rc = validate(cfg, &g);
	if (rc)
		return rc;
	if (check_host(cfg->no_host_check))
		return MKVM_EXIT_HOST;
	if (vm__init(&vm, cfg->mem, cfg->cpus))
		return MKVM_EXIT_INTERNAL;
	start_info = load_guest(&vm, cfg, &g);
	if (!start_info)
		return MKVM_EXIT_IMAGE;
	/* Threads from here on confine themselves once set up (seccomp.h). */
	if (privs__no_new_privs() ||
	    (!cfg->no_seccomp && seccomp__enable(cfg->seccomp_selftest)))
		return MKVM_EXIT_INTERNAL;
	rc = setup_devices(&vm, cfg, g.out);
	if (rc)
		return rc;
	/* Disks, TAPs, the serial log and /dev/kvm are open: root, if it was,
	 * is no longer needed. */
	if (privs__drop(cfg->user, cfg->group))
		return MKVM_EXIT_USAGE;
	for (int i = 0; i < cfg->cpus; i++)
		if (!vcpu__create(&vm, i))
			return MKVM_EXIT_INTERNAL;
	if (vcpu__set_pvh_entry(vm.vcpus[0], g.img.entry, (uint32_t)start_info)) {
		fprintf(stderr, "mkvm: cannot set the boot vCPU's entry state\n");
		return MKVM_EXIT_INTERNAL;
	}
	if (cfg->gdb) {
		/* the kernel's description of its threads, if it exports one,
		 * and where gdb finds the programs' ELFs */
		char dir[CLI_MAX_PATH];
		uint64_t kdesc = 0, named = 0;

		if (gdb_programs_dir(cfg, dir, sizeof(dir)) &&
		    !elf__symbol(g.kernel.data, g.kernel.size, "mkvm_kdebug_desc", &kdesc))
			elf__symbol(g.kernel.data, g.kernel.size, "mkvm_kdebug_named", &named);
		if (gdb__start(&vm, cfg->gdb, cfg->gdb_wait, kdesc, named, kdesc ? dir : NULL))
			return MKVM_EXIT_USAGE;
	}
	term__init();
	if (vm__start(&vm))
		return MKVM_EXIT_INTERNAL;
	seccomp__install(SECCOMP_MAIN, "main");
	rc = term__run(&vm);
	if (cfg->stats) {
		vm__print_stats(&vm, stderr);
		irq__print_stats(&vm.irq, stderr);
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
