#!/usr/bin/env bash
# `make check-virtio`: the virtio-blk guest driver (build/tests/virtio/blk.elf)
# against mkvm's device (--disk) and QEMU's (virtio-blk-pci, modern only),
# read-write and read-only. A read-write run passes only if the guest says
# PASS and the sector it wrote and flushed is in the host image afterwards.
# Also: bad --disk arguments get one clear error line and the right status.
# Environment: ONLY=substr; CASE_TIMEOUT (s, default 120); MKVM, QEMU.
set -uo pipefail
PLATFORM=virtio
. "$(dirname "$0")/../platforms/lib.sh"

MKVM=${MKVM:-$BUILD/vmm/mkvm}
GUEST=$BUILD/tests/virtio/blk.elf
QEMU=${QEMU:-qemu-system-x86_64}
CASE_TIMEOUT=${CASE_TIMEOUT:-120}

selected() { [[ -z ${ONLY:-} || $1 == *"$ONLY"* ]]; }

# The sector the guest writes: "mkvm-virtio-blk-durable\0", then byte i = i.
expected_sector() {
	local i
	printf 'mkvm-virtio-blk-durable\0'
	for ((i = 24; i < 512; i++)); do
		printf "\\$(printf %03o $((i & 255)))"
	done
}

# new_image PATH [seeded]: 1 MiB of zeros, optionally with the sector in place
# (a read-only disk must already hold what the guest reads back).
new_image() {
	rm -f "$1"
	truncate -s 1M "$1"
	if [[ ${2:-} == seeded ]]; then
		expected_sector | dd of="$1" bs=512 seek=1 conv=notrunc status=none
	fi
}

sector_ok() {
	cmp -s <(dd if="$1" bs=512 skip=1 count=1 status=none) <(expected_sector)
}

# blk_case NAME IMAGE MODE CMD...: MODE is rw or ro; CMD writes the serial
# log to $LOGDIR/NAME.log.
blk_case() {
	local name=$1 img=$2 mode=$3 log=$LOGDIR/$1.log rc
	shift 3
	timeout --kill-after=5 "$CASE_TIMEOUT" "$@" < /dev/null > "$log.stderr" 2>&1
	rc=$?
	if ((rc == 124 || rc == 137)); then
		fail "$name" "timed out after ${CASE_TIMEOUT}s (log: $log)"
	elif [[ $mode == rw ]] && ! sector_ok "$img"; then
		fail "$name" "the flushed sector is not in $img (exit $rc, log: $log)"
	else
		judge "$name" "$log" "$rc" 33 "^virtio-blk: read past the end: S_IOERR; ^virtio-blk: usable again after reset; ^PASS"
	fi
}

qemu_blk() {
	local name=$1 mode=$2 img=$LOGDIR/$1.img ro=
	[[ $mode == ro ]] && ro=,readonly=on
	new_image "$img" $([[ $mode == ro ]] && echo seeded)
	blk_case "$name" "$img" "$mode" "$QEMU" -M q35 -accel tcg -cpu max -m 256M \
		-display none -nodefaults -no-reboot -serial "file:$LOGDIR/$name.log" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" \
		-drive "file=$img,format=raw,if=none,id=d0$ro" \
		-device virtio-blk-pci,drive=d0,disable-legacy=on,serial=mkvm-test
}

mkvm_blk() {
	local name=$1 mode=$2 img=$LOGDIR/$1.img ro=
	[[ $mode == ro ]] && ro=,readonly
	new_image "$img" $([[ $mode == ro ]] && echo seeded)
	blk_case "$name" "$img" "$mode" "$MKVM" --no-host-check \
		--serial "$LOGDIR/$name.log" --disk "$img$ro" "$GUEST"
}

# bad_disk NAME WANT_RC ARGS...: exactly one line on stderr, status WANT_RC.
bad_disk() {
	local name=$1 want=$2 log=$LOGDIR/$1.log rc
	shift 2
	timeout 30 "$MKVM" --no-host-check --serial "$log" "$@" "$GUEST" \
		< /dev/null > "$log.stderr" 2>&1
	rc=$?
	if ((rc != want)); then
		fail "$name" "exit status $rc, expected $want (log: $log.stderr)"
	elif (($(grep -c . "$log.stderr") != 1)); then
		fail "$name" "expected one error line on stderr (log: $log.stderr)"
	else
		say "$name: $(cat "$log.stderr")"
		pass "$name"
	fi
}

if [[ ! -f $GUEST ]]; then
	fail build "$GUEST is not built (make all)"
	summary
	exit
fi

if command -v "$QEMU" > /dev/null; then
	selected qemu-virtio-blk && qemu_blk qemu-virtio-blk rw
	selected qemu-virtio-blk-readonly && qemu_blk qemu-virtio-blk-readonly ro
else
	for c in qemu-virtio-blk qemu-virtio-blk-readonly; do
		selected $c && skip $c "$QEMU is not installed (package qemu-system-x86)"
	done
fi

host_cases=(host-virtio-blk host-virtio-blk-readonly host-disk-missing host-disk-bad-option)
reason=
if [[ ! -x $MKVM ]]; then
	reason="$MKVM is not built"
elif [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
	reason="no usable /dev/kvm on this machine"
elif "$MKVM" --help 2>&1 | grep -q -- 'not supported yet:.*--disk'; then
	reason="this mkvm does not support --disk yet"
fi
if [[ -n $reason ]]; then
	for c in "${host_cases[@]}"; do selected "$c" && skip "$c" "$reason"; done
else
	selected host-virtio-blk && mkvm_blk host-virtio-blk rw
	selected host-virtio-blk-readonly && mkvm_blk host-virtio-blk-readonly ro
	selected host-disk-missing &&
		bad_disk host-disk-missing 4 --disk "$LOGDIR/does-not-exist.img"
	selected host-disk-bad-option &&
		bad_disk host-disk-bad-option 2 --disk "$LOGDIR/x.img,bogus"
fi
summary
