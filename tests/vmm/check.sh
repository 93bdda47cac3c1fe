#!/usr/bin/env bash
# `make check-vmm`: mkvm's machine, seen from a guest (tests/vmm/vmmtest.S),
# on this host's /dev/kvm. Every check stays in ring 0, so it runs with
# --no-host-check on any KVM, kvm_pvm included. Prints PASS/FAIL/SKIP per
# check and "vmm: N passed, N failed, N skipped"; exits 1 on a failure.
set -uo pipefail
PLATFORM=vmm
. "$(dirname "$0")/../platforms/lib.sh"
MKVM=${MKVM:-$BUILD/vmm/mkvm}
GUEST=$BUILD/vmm/tests/vmmtest.elf
# check NAME WANT_STATUS INPUT MKVM-ARGS...: runs mkvm with INPUT on stdin.
check() {
	local name=$1 want=$2 input=$3 rc; shift 3
	printf '%b' "$input" | timeout 30 "$MKVM" --no-host-check "$@" "$GUEST" \
		> "$LOGDIR/$name.log" 2>&1
	rc=$?
	if [[ $rc == "$want" ]]; then pass "$name"; else
		fail "$name" "exit status $rc, expected $want (log: $LOGDIR/$name.log)"; fi
}

if [[ ! -w /dev/kvm ]]; then
	skip all "no usable /dev/kvm"
else
	check smp-1 3 "" --cpus 1 --cmdline m
	check smp-2 5 "" --cpus 2 --cmdline m
	check smp-4 9 "" --cpus 4 --cmdline m
	check smp-8-high-mem 17 "" --cpus 8 --mem 5G --cmdline m
	check acpi-s5-shutdown 0 "" --cmdline o
	check reset-register 0 "" --cmdline r
	check serial-input 131 "A" --cmdline e             # ('A' << 1 | 1) & 0xff
	check serial-ctrl-a-ctrl-a 3 "\x01\x01" --cmdline e  # Ctrl-A reaches the guest
	check ctrl-a-x-quits 0 "\x01x" --cmdline w
	check pci-config 33 "" --cmdline p
	check unclaimed-io 33 "" --cmdline u
	# A fatal signal ends a run whose vCPU is halted; the status says so.
	timeout -s TERM 1 "$MKVM" --no-host-check --cmdline w "$GUEST" < /dev/null \
		> "$LOGDIR/sigterm.log" 2>&1
	rc=$?
	if [[ $rc == 124 ]]; then pass sigterm; else fail sigterm "exit status $rc, expected 124"; fi
fi
summary
