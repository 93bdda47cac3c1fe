#!/usr/bin/env bash
# `make check-gdb-nested` / `make check-gdb-bochs`: the gdb sessions of
# tests/cases.list for gdb-nested / gdb-bochs, with mkvm inside the L1 Linux
# of a nested platform, all in one L1 boot (tests/gdb/lib.sh):
#   nested  QEMU TCG -> Linux kvm_amd (NPT): single-step reaches the VMM,
#           breakpoints do not (PLATFORM.md), so step.gdb and protocol.gdb;
#           and kernel.gdb, the microkernel itself: OS awareness on the
#           real thing
#   bochs   Bochs Haswell -> Linux kvm_intel (EPT): breakpoints too, so
#           full.gdb (one session: Bochs's UART socket takes one connection
#           per boot)
#   bochs-os  the same, a second boot: os-break.gdb, breakpoints in the
#           microkernel's OS view
# Logs: build/logs/gdb-<platform>/.
set -uo pipefail
L1_PLATFORM=${1:?usage: l1.sh nested|bochs|bochs-os}
timeout_env=${GDB_TIMEOUT:-}	# lib.sh below sets its own default
PLATFORM=gdb-$L1_PLATFORM
. "$(dirname "$0")/../platforms/lib.sh"
. "$SRC/tests/platforms/l1/l1.sh"
. "$SRC/tests/gdb/lib.sh"

gdb_settings=() skip_reason=
case $L1_PLATFORM in
nested) tools="qemu-system-x86_64 gdb socat"; module=kvm-amd ;;
bochs|bochs-os)
	tools="bochs xorriso gdb socat"; module=kvm-intel
	GDB_TIMEOUT=${timeout_env:-1200}
	# L1's clock under Bochs runs ahead of the host's while L1 idles (mkvm
	# waiting for gdb): the kill inside L1, a safety net behind the host's
	# timeout of gdb, must not come first
	L1_CLOCK_FACTOR=20
	# Measured: a Ctrl-C sent while the guest spins never reaches mkvm in
	# L1 on Bochs (an instrumented mkvm saw no byte after vCont;c), while it
	# does on nested through the same relay: a Bochs serial-socket matter.
	gdb_settings=(-ex 'set $no_interrupt = 1')
	skip_reason="the Ctrl-C byte does not cross the Bochs UART relay (docs/gdb.md)" ;;
*)      echo "usage: l1.sh nested|bochs|bochs-os" >&2; exit 2 ;;
esac
for tool in $tools; do
	if ! command -v "$tool" > /dev/null; then
		skip "$PLATFORM" "$tool is not installed (tests/deps.sh)"
		summary; exit
	fi
done
if [[ ! -x $BUILD/vmm/mkvm ]]; then
	fail "$PLATFORM" "build/vmm/mkvm is not built"
	summary; exit
fi
l1_lock
if ! l1_kernel; then
	fail "$PLATFORM" "no L1 kernel (see the error above)"
	summary; exit
fi
gdb_l1_stage || { fail "$PLATFORM" "cannot stage the L1 sessions: $L1_ERROR"; summary; exit; }
l1_initramfs "$module" || { fail "$PLATFORM" "cannot build the L1 initramfs"; summary; exit; }
L1_WHERE="in the $L1_PLATFORM L1 (one boot for ${#GDB_SESSIONS[@]} session(s))"
start=$(date +%s)
gdb_l1_run "start_${L1_PLATFORM%-os}" "$(shuf -i 20000-40000 -n 1)" "$LOGDIR/l1.log"
say "L1 ran $(( $(date +%s) - start ))s wall clock"
summary
