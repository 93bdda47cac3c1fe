#!/usr/bin/env bash
# `make check-nested`: QEMU TCG -> Debian Linux with kvm_amd (NPT) -> mkvm ->
# guest. One L1 boot runs every case of tests/cases.list for "nested", plus
# the platform assertions (kvm_amd loaded with npt=Y, mkvm --probe passes).
# Environment: VERBOSE=1 streams the L1 serial console to the terminal;
# ONLY=substr restricts the cases; CASE_TIMEOUT (s, L1 time, default 60);
# L1_TIMEOUT (s, wall clock, default 600). Logs: build/logs/nested/.
set -uo pipefail
PLATFORM=nested
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/platforms/l1/l1.sh"

L1_CASE_TIMEOUT=${CASE_TIMEOUT:-60}
L1_TIMEOUT=${L1_TIMEOUT:-600}
L1_LOG=$LOGDIR/l1-serial.log

ASSERTIONS=(kvm-amd-npt nested-mkvm-probe)
command -v qemu-system-x86_64 > /dev/null ||
	l1_skip_all "qemu-system-x86_64 is not installed (tests/deps.sh)" "${ASSERTIONS[@]}"
l1_lock
l1_kernel || l1_skip_all "no L1 kernel: $L1_ERROR" "${ASSERTIONS[@]}"
l1_new_root
l1_stage_cases
l1_initramfs kvm-amd || { fail nested "cannot build the L1 initramfs"; summary; exit; }

say "booting L1 ($(cut -d' ' -f1 "$L1_KDIR/package")) in QEMU TCG, ${#L1_CASES[@]} case(s); serial: $L1_LOG"
l1_boot_qemu nested

npt=$(l1_fact npt)
if [[ $(l1_fact module) == kvm_amd && $npt == Y && $(l1_fact dev_kvm) == yes ]]; then
	pass kvm-amd-npt
else
	fail kvm-amd-npt "L1 reported module=$(l1_fact module) npt=${npt:-?} dev_kvm=$(l1_fact dev_kvm) (L1 log: $L1_LOG)"
fi
l1_check_probe nested-mkvm-probe NPT
l1_judge_cases
summary
