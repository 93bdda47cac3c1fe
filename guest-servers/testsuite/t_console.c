/* Tests of the virtio-console driver server (guest-servers/virtio-console/console.c)
 * through its protocol (shared/mkvm/console.h). virtio-console: a line out
 * (the harness checks that it reached the host side) and malformed
 * requests. virtio-console-input: the host side typed CONSOLE_INPUT; runs
 * only where the harness feeds it, which the command line word
 * "console-input" says (tests/console/kernel-suite.in). */
#include <mkvm/console.h>
#include <mkvm/virtio.h>
#include "suite.h"

#define CONSOLE_OUTPUT "virtio-console: hello from the guest\n"
#define CONSOLE_INPUT "ping from the host"

static uint64_t srv;

/* Starts the server once; false (and the test skips or fails) without it. */
static bool console_ready(void)
{
	if (!virtio_present(VIRTIO_ID_CONSOLE)) {
		test_skip("no modern virtio-console on PCI bus 0 (QEMU: -device virtio-serial-pci,"
			  "disable-legacy=on,max_ports=1 -device virtconsole; mkvm: --console)");
		return false;
	}
	if (!srv)
		srv = name_lookup("virtio-console", SERVER_TIMEOUT_US);
	if (!srv)
		test_fail("cannot start the virtio-console server");
	return srv;
}

#define CON_ERROR(err, mr, code) \
	(!(err) && L4_TAG_LABEL((mr)[0]) == MKVM_CONSOLE_ERROR && (mr)[1] == (code))

void t_console_out(void)
{
	uint64_t *mr = l4_utcb()->mr;
	if (!console_ready())
		return;
	uint64_t n = sizeof(CONSOLE_OUTPUT) - 1;
	int err = console_write(srv, CONSOLE_OUTPUT, n);
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_CONSOLE_OK && mr[1] == n,
	       "write: error %x, label %x, value %lu", (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	err = console_write(srv, "", 0);
	EXPECT(CON_ERROR(err, mr, MKVM_CONSOLE_EINVAL), "empty write: error %x, label %x, value %lu",
	       (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	mr[0] = L4_TAG(MKVM_CONSOLE_WRITE, 1, 0);       /* claims 40 bytes, carries none */
	mr[1] = 40;
	err = l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
	EXPECT(CON_ERROR(err, mr, MKVM_CONSOLE_EINVAL), "short write: error %x, label %x, value %lu",
	       (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	err = console_read(srv, MKVM_CONSOLE_MAX + 1, 0);
	EXPECT(CON_ERROR(err, mr, MKVM_CONSOLE_EINVAL), "oversized read: error %x, label %x, value %lu",
	       (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	mr[0] = L4_TAG(MKVM_CONSOLE_READ + 7, 0, 0);
	err = l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
	EXPECT(CON_ERROR(err, mr, MKVM_CONSOLE_EINVAL), "unknown request: error %x, label %x, value %lu",
	       (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	printf("virtio-console: %lu bytes written through server %lx\n", n, srv);
}

void t_console_in(void)
{
	uint64_t *mr = l4_utcb()->mr;
	if (!cmdline_has(prog_info->cmdline, "console-input")) {
		test_skip("the harness types nothing on the console here (no console-input on the command line)");
		return;
	}
	if (!console_ready())
		return;
	char line[128];
	uint64_t got = 0;
	while (!got || line[got - 1] != '\n') {
		int err = console_read(srv, sizeof(line) - got, 5000000);
		EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_CONSOLE_OK, "read: error %x, label %x, value %lu",
		       (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
		uint64_t n = mr[1];
		EXPECT(n && n <= sizeof(line) - got && L4_TAG_U(mr[0]) == 1 + (n + 7) / 8,
		       "read: %lu bytes in %lu words after %lu bytes (5 s wait)", n, L4_TAG_U(mr[0]), got);
		memcpy(line + got, &mr[2], n);
		got += n;
		EXPECT(got < sizeof(line), "no end of line in %lu bytes", got);
	}
	line[got - 1] = 0;
	EXPECT(got - 1 == sizeof(CONSOLE_INPUT) - 1 && !memcmp(line, CONSOLE_INPUT, got - 1),
	       "received \"%s\", the host typed \"" CONSOLE_INPUT "\"", line);
	/* nothing more comes: the read ends empty, and not before its time */
	uint64_t t0 = l4_clock_us();
	int err = console_read(srv, 16, 100000);
	uint64_t waited = l4_clock_us() - t0;
	EXPECT(!err && L4_TAG_LABEL(mr[0]) == MKVM_CONSOLE_OK && mr[1] == 0,
	       "read after the line: error %x, label %x, %lu bytes", (uint64_t)err, L4_TAG_LABEL(mr[0]), mr[1]);
	EXPECT(waited >= 100000, "a 100 ms read wait ended after %lu us", waited);
	printf("virtio-console: received '%s'; an empty read ended after %lu us\n", line, waited);
}
