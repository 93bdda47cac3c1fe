#!/usr/bin/env bash
# `make check-virtio`: tiny polled guest drivers (build/tests/virtio/*.elf)
# against mkvm's virtio devices and QEMU's (modern-only virtio-pci), so both
# are shown to behave alike:
#   blk      --disk, read-write and read-only; a read-write run passes only
#            if the sector the guest wrote and flushed is in the host image
#   rng      --rng
#   net      --net user-loopback (QEMU: a UDP socket sending to itself), and
#            --net tap=NAME in a network namespace (root only): frames out
#            to the host stack, an ARP request in (tap.sh)
#   console  --console; on mkvm also a line typed on stdin must arrive
#   msix     a queue interrupt as an MSI-X message to the local APIC; masked:
#            none, PBA bit set; unmasked: delivered; then COM1's IRQ 4 through
#            the IOAPIC. On mkvm the two MSIs must go by irqfd (--stats),
#            and by KVM_SIGNAL_MSI with --no-irqfd
# and bad --disk / --net arguments get one clear error line and the right
# exit status. The guests stay in ring 0, so mkvm runs them on any KVM.
# Environment: ONLY=substr; CASE_TIMEOUT (s, default 120); MKVM, QEMU.
set -uo pipefail
PLATFORM=virtio
. "$(dirname "$0")/../platforms/lib.sh"

MKVM=${MKVM:-$BUILD/vmm/mkvm}
GUESTS=$BUILD/tests/virtio
QEMU=${QEMU:-qemu-system-x86_64}
CASE_TIMEOUT=${CASE_TIMEOUT:-120}


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

EXPECT_blk="^virtio-blk: read past the end: S_IOERR; ^virtio-blk: usable again after reset; ^PASS"
EXPECT_rng="^virtio-rng: .* bytes nonzero; ^PASS"
EXPECT_net="^virtio-net: frame 2 came back intact; ^PASS"
EXPECT_console="^virtio-console: hello through the transmitq; ^PASS"
EXPECT_msix="^virtio-msix: masked: no interrupt, PBA bit set; ^virtio-msix: unmasked: pending interrupt delivered; ^virtio-msix: COM1 interrupt through IOAPIC pin 4; ^PASS"

# Checks run after a guest, before the verdict: each prints why it failed.
# CHECK is a command (default true) run by run_case.
CHECK=true
check_sector() { sector_ok "$1" || echo "the flushed sector is not in $1"; }
check_vcon() {
	grep -q '^virtio-console: hello through the transmitq' "$1" ||
		echo "the line sent is not in the console output $1"
}

# run_case NAME EXPECT INPUT CMD...: runs CMD (whose serial output must end up
# in $LOGDIR/NAME.log) with INPUT on stdin, then $CHECK, and judges exit 33
# and EXPECT.
run_case() {
	local name=$1 expect=$2 input=$3 log=$LOGDIR/$1.log rc why
	shift 3
	: > "$log"
	printf '%s' "$input" | timeout --kill-after=5 "$CASE_TIMEOUT" "$@" \
		> "$log.stderr" 2>&1
	rc=$?
	why=$($CHECK)
	if ((rc == 124 || rc == 137)); then
		fail "$name" "timed out after ${CASE_TIMEOUT}s (log: $log)"
	elif [[ -n $why ]]; then
		fail "$name" "$why (exit $rc, log: $log)"
	else
		judge "$name" "$log" "$rc" 33 "$expect"
	fi
}

qemu_run() {
	local name=$1 elf=$2
	shift 2
	run_case "$name" "$EXPECT_QEMU" "" "$QEMU" -M q35 -accel tcg -cpu max -m 256M \
		-display none -nodefaults -no-reboot -serial "file:$LOGDIR/$name.log" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUESTS/$elf.elf" "$@"
}

qemu_cases() {
	local img port
	if selected qemu-virtio-blk-readonly; then
		img=$LOGDIR/qemu-virtio-blk-readonly.img
		new_image "$img" seeded
		EXPECT_QEMU=$EXPECT_blk qemu_run qemu-virtio-blk-readonly blk \
			-drive "file=$img,format=raw,if=none,id=d0,readonly=on" \
			-device virtio-blk-pci,drive=d0,disable-legacy=on,serial=mkvm-test
	fi
	if selected qemu-virtio-blk; then
		img=$LOGDIR/qemu-virtio-blk.img
		new_image "$img"
		EXPECT_QEMU=$EXPECT_blk CHECK="check_sector $img" qemu_run qemu-virtio-blk blk \
			-drive "file=$img,format=raw,if=none,id=d0" \
			-device virtio-blk-pci,drive=d0,disable-legacy=on,serial=mkvm-test
	fi
	selected qemu-virtio-rng &&
		EXPECT_QEMU=$EXPECT_rng qemu_run qemu-virtio-rng rng \
			-device virtio-rng-pci,disable-legacy=on
	if selected qemu-virtio-net; then
		port=$((20000 + RANDOM % 20000))
		EXPECT_QEMU=$EXPECT_net qemu_run qemu-virtio-net net \
			-netdev "socket,id=n0,udp=127.0.0.1:$port,localaddr=127.0.0.1:$port" \
			-device virtio-net-pci,netdev=n0,disable-legacy=on,romfile=
	fi
	selected qemu-virtio-msix &&
		EXPECT_QEMU=$EXPECT_msix qemu_run qemu-virtio-msix msix \
			-device virtio-rng-pci,disable-legacy=on
	if selected qemu-virtio-console; then
		# QEMU's console output goes to its own file; check that one.
		rm -f "$LOGDIR/qemu-virtio-console.vcon"
		EXPECT_QEMU="^PASS" CHECK="check_vcon $LOGDIR/qemu-virtio-console.vcon" \
			qemu_run qemu-virtio-console console \
			-device virtio-serial-pci,disable-legacy=on,max_ports=1 \
			-chardev "file,id=c0,path=$LOGDIR/qemu-virtio-console.vcon" \
			-device virtconsole,chardev=c0
	fi
}

mkvm_run() {
	local name=$1 expect=$2 input=$3
	shift 3
	run_case "$name" "$expect" "$input" "$MKVM" --no-host-check \
		--serial "$LOGDIR/$name.log" "$@"
}

check_tap_rx() {
	local n
	n=$(cat "$1.rx_packets" 2> /dev/null)
	((${n:-0} >= 3)) || echo "the host received ${n:-no} frames from the guest, expected 3"
}

case_tap() {
	local name=host-virtio-net-tap
	if (($(id -u) != 0)) || ! command -v unshare > /dev/null || ! command -v ip > /dev/null ||
		[[ ! -c /dev/net/tun ]]; then
		skip "$name" "needs root, unshare, ip (iproute2) and /dev/net/tun"
		return
	fi
	CHECK="check_tap_rx $LOGDIR/$name.log" run_case "$name" \
		"^virtio-net: received an ARP frame from the host; ^PASS" "" \
		unshare -n "$SRC/tests/virtio/tap.sh" "$MKVM" "$GUESTS/net.elf" "$LOGDIR/$name.log"
}

# bad_arg NAME WANT_RC ARGS...: exactly one line on stderr, status WANT_RC.
bad_arg() {
	local name=$1 want=$2 log=$LOGDIR/$1.log rc
	shift 2
	timeout 30 "$MKVM" --no-host-check --serial "$log" "$@" "$GUESTS/blk.elf" \
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

# exits_of LOG: the vCPU exit count mkvm --stats printed to LOG.stderr.
exits_of() { grep -o 'exits: vcpu0=[0-9]*' "$1.stderr" | grep -o '[0-9]*$'; }

check_exits() {
	local a=$1 b
	b=$(exits_of "$2")
	if [[ -z $b ]]; then
		echo "no exit count in the mkvm --stats output"
	elif ((b - a > 300)); then
		echo "3000 notifications cost $((b - a)) exits to user space ($a -> $b)"
	fi
}

# check_msi_path LOG IRQFD SIGNAL: mkvm --stats counted IRQFD interrupts
# sent by irqfd and SIGNAL by KVM_SIGNAL_MSI. A host without irqfd (the
# line says why) must have sent them all by KVM_SIGNAL_MSI instead.
check_msi_path() {
	local got want="irqfd $2, KVM_SIGNAL_MSI $3"
	got=$(grep -o 'MSI interrupts: irqfd [0-9]*, KVM_SIGNAL_MSI [0-9]*' "$1.stderr")
	got=${got#MSI interrupts: }
	if grep -q 'irqfd off: KVM_CAP' "$1.stderr"; then
		want="irqfd 0, KVM_SIGNAL_MSI $(($2 + $3))"
	fi
	[[ $got == "$want" ]] ||
		echo "mkvm --stats counted '${got:-nothing}' MSI interrupts, expected '$want'"
}

# 3000 more queue notifications must not cost 3000 more exits: they go to an
# ioeventfd. The two runs differ by one printed line (a few dozen port writes).
case_ioeventfd() {
	local name=host-virtio-ioeventfd base=$LOGDIR/host-virtio-ioeventfd-base.log a
	timeout --kill-after=5 "$CASE_TIMEOUT" "$MKVM" --no-host-check --serial "$base" \
		--stats --rng "$GUESTS/rng.elf" < /dev/null > "$base.stderr" 2>&1
	a=$(exits_of "$base")
	if [[ -z $a ]]; then
		fail "$name" "the baseline run gave no exit count (log: $base.stderr)"
		return
	fi
	CHECK="check_exits $a $LOGDIR/$name.log" mkvm_run "$name" \
		"$EXPECT_rng; ^virtio-rng: 3000 more requests done" "" \
		--stats --rng --cmdline notify-loop=3000 "$GUESTS/rng.elf" &&
		say "$name: vCPU exits: $a without, $(exits_of "$LOGDIR/$name.log") with 3000 more notifications"
}

mkvm_cases() {
	local img
	if selected host-virtio-blk-readonly; then
		img=$LOGDIR/host-virtio-blk-readonly.img
		new_image "$img" seeded
		mkvm_run host-virtio-blk-readonly "$EXPECT_blk" "" \
			--disk "$img,readonly" "$GUESTS/blk.elf"
	fi
	if selected host-virtio-blk; then
		img=$LOGDIR/host-virtio-blk.img
		new_image "$img"
		CHECK="check_sector $img" \
			mkvm_run host-virtio-blk "$EXPECT_blk" "" --disk "$img" "$GUESTS/blk.elf"
	fi
	selected host-virtio-rng &&
		mkvm_run host-virtio-rng "$EXPECT_rng" "" --rng "$GUESTS/rng.elf"
	selected host-virtio-ioeventfd && case_ioeventfd
	selected host-virtio-msix &&
		CHECK="check_msi_path $LOGDIR/host-virtio-msix.log 2 0" \
			mkvm_run host-virtio-msix "$EXPECT_msix" "" --stats --rng "$GUESTS/msix.elf"
	selected host-virtio-msix-no-irqfd &&
		CHECK="check_msi_path $LOGDIR/host-virtio-msix-no-irqfd.log 0 2" \
			mkvm_run host-virtio-msix-no-irqfd "$EXPECT_msix" "" --stats --no-irqfd \
			--rng "$GUESTS/msix.elf"
	selected host-virtio-net &&
		mkvm_run host-virtio-net "$EXPECT_net" "" --net user-loopback "$GUESTS/net.elf"
	selected host-virtio-net-tap && case_tap
	selected host-virtio-console &&
		mkvm_run host-virtio-console \
			"$EXPECT_console; ^virtio-console: received 'typed on the host'" \
			$'typed on the host\n' --console --cmdline expect-input \
			"$GUESTS/console.elf"
	selected host-disk-missing &&
		bad_arg host-disk-missing 4 --disk "$LOGDIR/does-not-exist.img"
	selected host-disk-bad-option &&
		bad_arg host-disk-bad-option 2 --disk "$LOGDIR/x.img,bogus"
	selected host-net-bad-backend &&
		bad_arg host-net-bad-backend 2 --net bridge=br0
}

QEMU_CASES=(qemu-virtio-blk qemu-virtio-blk-readonly qemu-virtio-rng qemu-virtio-msix
	    qemu-virtio-net qemu-virtio-console)
HOST_CASES=(host-virtio-blk host-virtio-blk-readonly host-virtio-rng host-virtio-ioeventfd
	    host-virtio-msix host-virtio-msix-no-irqfd
	    host-virtio-net host-virtio-net-tap
	    host-virtio-console host-disk-missing host-disk-bad-option host-net-bad-backend)

for g in blk rng net console msix; do
	if [[ ! -f $GUESTS/$g.elf ]]; then
		fail build "$GUESTS/$g.elf is not built (make all)"
		summary
		exit
	fi
done

if command -v "$QEMU" > /dev/null; then
	qemu_cases
else
	for c in "${QEMU_CASES[@]}"; do
		selected "$c" && skip "$c" "$QEMU is not installed (package qemu-system-x86)"
	done
fi

reason=
if [[ ! -x $MKVM ]]; then
	reason="$MKVM is not built"
elif [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
	reason="no usable /dev/kvm on this machine"
elif ! "$MKVM" --help 2>&1 | grep -q -- '--disk ARG'; then
	reason="this mkvm has no virtio options (--disk)"
fi
if [[ -n $reason ]]; then
	for c in "${HOST_CASES[@]}"; do selected "$c" && skip "$c" "$reason"; done
else
	mkvm_cases
fi
summary
