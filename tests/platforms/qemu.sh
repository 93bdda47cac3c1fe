#!/usr/bin/env bash
# `make check-qemu`: every "qemu" case of tests/cases.list booted directly by
# QEMU full-system emulation (TCG), PVH -kernel, -initrd as module 0,
# -append as the command line. q35, because it has PCIe ECAM (ACPI MCFG);
# QEMU's "edu" device gives the kernel suite an MSI source (msi-ipc); a
# second virtio-rng, which no driver claims, a function with an MSI-X table
# for the test suite to claim (isolation-msi-vector).
# TCG emulates no PCID, so guests must take their non-PCID paths here.
# Environment: ONLY=substr; VERBOSE=1 streams each serial log; CASE_TIMEOUT
# (s, default 120; a timeout is a FAIL); QEMU_EXTRA_ARGS (appended, for
# debugging, e.g. "-d int -D build/logs/qemu/int.log").
set -uo pipefail
PLATFORM=qemu
. "$(dirname "$0")/lib.sh"

QEMU=${QEMU:-qemu-system-x86_64}
CASE_TIMEOUT=${CASE_TIMEOUT:-120}

# qemu_case: for_each_case callback; boots one case and judges it.
qemu_case() {
	local name=$1 kernel=$2 initrd=$3 cmdline=$4 want=$5 expect=$6
	local log=$LOGDIR/$name.log err=$LOGDIR/$name.stderr rc pid tail_pid=
	local disk=$LOGDIR/$name.disk   # a fresh 1 MiB scratch disk for virtio-blk
	# virtio-console: a pipe chardev; tests/console/<case>.in, if there, is
	# typed into it; what the guest sends is appended to the log as "vcon: "
	local vcon=$LOGDIR/$name.vcon vpipe=$LOGDIR/$name.vpipe vin vout cat_pid
	local args=(-M q35 -accel tcg -cpu max -m 256M -display none -nodefaults
		-no-reboot -serial "file:$log"
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
		-device edu -device virtio-rng-pci,disable-legacy=on
		-device virtio-rng-pci,disable-legacy=on
		-drive "file=$disk,if=none,format=raw,id=vblk"
		-device virtio-blk-pci,drive=vblk,disable-legacy=on
		-device virtio-serial-pci,disable-legacy=on,max_ports=1
		-chardev "pipe,id=vcon,path=$vpipe" -device virtconsole,chardev=vcon
		-kernel "$kernel")
	rm -f "$disk" && truncate -s 1M "$disk"
	# virtio-net: a UDP socket sending to itself returns every frame
	local port=$((20000 + RANDOM % 20000))
	args+=(-netdev "socket,id=vnet,udp=127.0.0.1:$port,localaddr=127.0.0.1:$port"
		-device virtio-net-pci,netdev=vnet,disable-legacy=on,romfile=)
	[[ -n $initrd ]] && args+=(-initrd "$initrd")
	[[ -n $cmdline ]] && args+=(-append "$cmdline")
	# shellcheck disable=SC2206 # word splitting is the point
	[[ -n ${QEMU_EXTRA_ARGS:-} ]] && args+=($QEMU_EXTRA_ARGS)

	for f in "$kernel" ${initrd:+"$initrd"}; do
		if [[ ! -f $f ]]; then
			fail "$name" "$f does not exist (make all builds it)"
			return
		fi
	done
	: > "$log"
	rm -f "$vpipe.in" "$vpipe.out" && mkfifo "$vpipe.in" "$vpipe.out"
	# held open read-write here (QEMU opens both so too): the guest never
	# sees the input end, and the writes wait in the pipe until QEMU reads
	exec {vin}<>"$vpipe.in"
	[[ -f $SRC/tests/console/$name.in ]] && cat "$SRC/tests/console/$name.in" >&"$vin"
	cat "$vpipe.out" > "$vcon" &
	cat_pid=$!
	printf '%q ' "$QEMU" "${args[@]}" > "$err"
	echo >> "$err"
	timeout --kill-after=5 "$CASE_TIMEOUT" "$QEMU" "${args[@]}" \
		< /dev/null >> "$err" 2>&1 &
	pid=$!
	if [[ ${VERBOSE:-0} == 1 ]]; then
		tail -n +1 -f --pid="$pid" "$log" &
		tail_pid=$!
	fi
	wait "$pid"
	rc=$?
	[[ -n $tail_pid ]] && wait "$tail_pid"
	exec {vout}<>"$vpipe.out" {vout}>&- {vin}>&-   # cat ends even if QEMU never opened the pipe
	wait "$cat_pid"
	sed 's/^/vcon: /' "$vcon" >> "$log"
	rm -f "$vpipe.in" "$vpipe.out"
	if ((rc == 124 || rc == 137)); then
		fail "$name" "timed out after ${CASE_TIMEOUT}s (log: $log)"
		return
	fi
	if [[ $rc != "$want" ]] && [[ -s $err ]]; then
		say "$name: QEMU command line and messages ($err):"
		sed 's/^/    /' "$err"
	fi
	judge "$name" "$log" "$rc" "$want" "$expect"
	show_matches "$log" "$expect"
}

if ! command -v "$QEMU" > /dev/null; then
	skip_all() { skip "$1" "$QEMU is not installed (package qemu-system-x86)"; }
	for_each_case skip_all
	summary
	exit
fi
say "$("$QEMU" --version | head -1)"
for_each_case qemu_case
summary
