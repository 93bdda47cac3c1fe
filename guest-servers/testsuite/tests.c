/* The in-guest test suite: each test prints "ok <name>" or
 * "FAIL <name>: why"; the run ends through isa-debug-exit with
 * MKVM_TEST_PASS only if every test passed. */
#include <stdarg.h>
#include <mkvm/testexit.h>
#include "suite.h"

static const struct { const char *name; void (*fn)(void); } tests[] = {
	{ "pcid-choice", t_pcid },
	{ "syscall-bad-args", t_syscall_bad },
	{ "kinfo-leaf", t_kinfo_leaf },
	{ "ipc-local-call", t_ipc_local },
	{ "ipc-long-message", t_ipc_long },
	{ "ipc-timeouts", t_ipc_timeouts },
	{ "ipc-nopartner-stale-id", t_ipc_nopartner },
	{ "ipc-partner-deleted", t_ipc_partner_gone },
	{ "ipc-between-spaces", t_ipc_spaces },
	{ "pagefault-ipc", t_pagefault },
	{ "map-recursive-flush", t_map_flush },
	{ "grant", t_grant },
	{ "device-memory", t_devmem },
	{ "ring3-privilege-faults", t_privilege },
	{ "io-ports", t_ioports },
	{ "interrupt-ipc", t_irq },
	{ "msi-ipc", t_msi },
	{ "fpu-lazy-switch", t_fpu },
	{ "timer-preemption", t_preempt },
	{ "fastpath-priority", t_fastpath_priority },
	{ "fastpath-mr-length", t_fastpath_mr_length },
	{ "recv-dead-partner", t_recv_dead_partner },
	{ "irq-id-receive", t_irq_id_receive },
	{ "exregs-queued-sender", t_exregs_queued_sender },
	{ "timeout-long", t_timeout_long },
	{ "kmem-recover", t_kmem_recover },
	{ "rflags-nt", t_rflags_nt },
	{ "thread-control-enomem", t_thread_control_enomem },
	{ "stale-thread-id", t_stale_thread_id },
	{ "x87-exception", t_x87_exception },
	{ "pagefault-unresolved", t_pagefault_unresolved },
	{ "int3-breakpoint", t_int3_breakpoint },
	{ "exception-registers", t_exception_registers },
	{ "mapdb-lookup-bound", t_mapdb_lookup_bound },
	{ "unmap-preemptible", t_unmap_preemptible },
	{ "space-delete-preemptible", t_space_delete_preemptible },
	{ "map-item-bound", t_map_item_bound },
	{ "syscall-fuzzer", t_fuzz },
	{ "virtio-rng", t_virtio_rng },
	{ "virtio-blk", t_virtio_blk },
	{ "virtio-console", t_console_out },
	{ "virtio-console-input", t_console_in },
	{ "pci-bus", t_pci_bus },
	{ "virtio-net", t_virtio_net },
	{ "virtio-net-loopback", t_virtio_net_loopback },
	{ "persist-region", t_persist_region },
	{ "persist-dirty-only", t_persist_dirty_only },
	{ "persist-restart", t_persist_restart },
	{ "persist-isolation", t_persist_isolation },
	{ "names", t_names },
	{ "isolation-memory", t_isolation_memory },
	{ "isolation-sigma0", t_isolation_sigma0 },
	{ "isolation-device", t_isolation_device },
	{ "isolation-irq", t_isolation_irq },
	{ "isolation-msi-vector", t_isolation_msi_vector },
	{ "wx-user-pages", t_wx_user_pages },
	{ "isolation-kernel-memory", t_isolation_kmem },
	{ "isolation-ipc-flood", t_isolation_flood },
	{ "driver-restart-blk", t_restart_blk },
	{ "driver-restart-net", t_restart_net },
	{ "driver-restart-console", t_restart_console },
	{ "driver-restart-rng", t_restart_rng },
	{ "cow-shared-text", t_cow_shared_text },
	{ "cow-data-pages", t_cow_data_pages },
	{ "cow-space-copy", t_cow_space_copy },
	{ "cow-last-holder", t_cow_last_holder },
	{ "zone-syscalls", t_zone_syscalls },
	{ "zone-pkru-per-thread", t_zone_pkru_per_thread },
	{ "zone-demo", t_zone_demo },
	{ "zone-app-write", t_zone_app_write },
	{ "zone-gate-reentry", t_zone_gate_reentry },
	{ "zone-code-check", t_zone_code_check },
};

static bool failed, skipped;
static const char *current_test;

void test_fail(const char *fmt, ...)
{
	char buf[200];
	size_t n = 0;
	va_list ap;
	va_start(ap, fmt);
	/* a %x/%d/%s subset is enough for failure reasons */
	for (; *fmt && n < sizeof(buf) - 24; fmt++) {
		if (*fmt != '%') {
			buf[n++] = *fmt;
			continue;
		}
		fmt++;
		if (*fmt == 'l')
			fmt++;
		if (*fmt == 's') {
			for (const char *s = va_arg(ap, const char *); *s && n < sizeof(buf) - 24; s++)
				buf[n++] = *s;
			continue;
		}
		uint64_t v = va_arg(ap, uint64_t);
		unsigned base = *fmt == 'x' ? 16 : 10;
		char tmp[24];
		int k = 0;
		do {
			tmp[k++] = "0123456789abcdef"[v % base];
			v /= base;
		} while (v);
		while (k)
			buf[n++] = tmp[--k];
	}
	va_end(ap);
	buf[n] = 0;
	printf("FAIL %s: %s\n", current_test, buf);
	failed = true;
}

/* The test cannot run here: reported, and counted neither way. */
void test_skip(const char *why)
{
	printf("SKIP %s: %s\n", current_test, why);
	skipped = true;
}

static void debug_exit(uint8_t code)
{
	__asm__ volatile("outb %0, %1" :: "a"(code), "Nd"((uint16_t)MKVM_DEBUG_EXIT_PORT));
}

void tests_run(void)
{
	/* the exit port, the UART for the interrupt test, port 0x80 for the I/O test */
	if (root_map(L4_IOFPAGE(MKVM_DEBUG_EXIT_PORT, 2)) ||
	    root_map(L4_IOFPAGE(0x3f8, 3)) || root_map(L4_IOFPAGE(0x80, 0))) {
		printf("FAIL setup: sigma0 refused I/O ports\n");
		return;
	}
	threads_init();
	int npass = 0, nfail = 0, nskip = 0;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		current_test = tests[i].name;
		failed = skipped = false;
		tests[i].fn();
		if (failed) {
			nfail++;
		} else if (skipped) {
			nskip++;
		} else {
			npass++;
			printf("ok %s\n", tests[i].name);
		}
	}
	printf("tests: %d passed, %d failed, %d skipped\n", npass, nfail, nskip);
	debug_exit(nfail ? MKVM_TEST_FAIL : MKVM_TEST_PASS);
}
