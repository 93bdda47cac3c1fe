#!/usr/bin/env bash
# `make test`: build everything, then run every test suite and platform in
# turn, keep going past failures, and end with one summary line per suite
# with the suite's wall-clock time, the total time, and a total line. Exit status 1 when anything failed.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
mkdir -p "$BUILD/logs"
start=$(date +%s)

# Cheapest first; the Bochs platforms take minutes each.
suites=(unit vmm host virtio qemu gdb nested gdb-nested libvirt bochs gdb-bochs gdb-bochs-os)
declare -A line secs
failed=0

if ! make -C "$SRC" --no-print-directory -j"$(nproc)" all; then
	echo "make test: the build failed; no test was run" >&2
	exit 1
fi

for s in "${suites[@]}"; do
	echo "==== $s ===="
	log=$BUILD/logs/check-$s.log
	t0=$(date +%s)
	make -C "$SRC" --no-print-directory "check-$s" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	secs[$s]=$(( $(date +%s) - t0 ))
	last=$(grep -E '^([a-z0-9-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	last=${last#*: }
	if [[ -z $last ]]; then
		last="0 passed, 1 failed, 0 skipped (no summary: harness broke, see $log)"
		rc=1
	fi
	line[$s]=$last
	((rc == 0)) || failed=1
done

echo
echo "==== summary ===="
tp=0 tf=0 ts=0
for s in "${suites[@]}"; do
	printf '%-11s %4ds  %s\n' "$s:" "${secs[$s]}" "${line[$s]}"
	read -r p _ f _ k _ <<< "${line[$s]//,/}"
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + ${k:-0}))
done
echo "make test took $(( $(date +%s) - start )) s"
echo "total: $tp passed, $tf failed, $ts skipped"
((failed == 0 && tf == 0))
