#!/usr/bin/env bash
# `make check-vmm`: mkvm's machine, seen from a guest (tests/vmm/vmmtest.S):
# the "vmm" cases of tests/cases.list, on real KVM (tests/platforms/kvm.sh:
# this host's /dev/kvm, or the nested platform's L1). Every guest stays in
# ring 0. Prints PASS/FAIL per case and "vmm: N passed, N failed, N
# skipped"; exits 1 on a failure.
set -uo pipefail
PLATFORM=vmm
. "$(dirname "$0")/../platforms/lib.sh"
. "$SRC/tests/platforms/kvm.sh"

kvm_suite
summary
