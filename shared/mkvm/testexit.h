/* How a guest reports a result to whoever runs it.
 *
 * The guest writes one byte to the isa-debug-exit port. QEMU (with
 * -device isa-debug-exit,iobase=0xf4,iosize=0x04) and mkvm both end the run
 * with process exit status (value << 1) | 1, so a test passes with status 33
 * and fails with 35 on every platform.
 *
 * mkvm's own exit statuses are even, so they never collide with a guest's:
 * see MKVM_EXIT_* below and `mkvm --help`.
 */
#ifndef MKVM_TESTEXIT_H
#define MKVM_TESTEXIT_H

#define MKVM_DEBUG_EXIT_PORT 0xf4

#define MKVM_TEST_PASS 0x10 /* process exit status 33 */
#define MKVM_TEST_FAIL 0x11 /* process exit status 35 */

/* mkvm process exit statuses other than the guest's debug-exit ones. */
#define MKVM_EXIT_SHUTDOWN    0  /* guest shut down (ACPI S5 / reset request) */
#define MKVM_EXIT_USAGE       2  /* bad command line or configuration */
#define MKVM_EXIT_IMAGE       4  /* kernel / initrd / disk image unusable */
#define MKVM_EXIT_HOST        6  /* host KVM cannot run this guest correctly */
#define MKVM_EXIT_GUEST_CRASH 8  /* triple fault or unrecoverable guest state */
#define MKVM_EXIT_INTERNAL    10 /* KVM or host error inside mkvm */

#endif
