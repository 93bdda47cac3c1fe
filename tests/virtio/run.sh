#!/usr/bin/env bash
# `make check-virtio`: tiny polled guest drivers (build/tests/virtio/*.elf)
# against mkvm's virtio devices and QEMU's (modern-only virtio-pci), so both
# are shown to behave alike:
#   blk      --disk, read-write and read-only; a read-write run passes only
#            if the sector the guest wrote and flushed is in the host image
#   rng      --rng
#   net      --net user-loopback (QEMU: a UDP socket sending to itself)
#   console  --console; on mkvm also a line typed on stdin must arrive
#   msix     a queue interrupt as an MSI-X message to the local APIC; masked:
#            none, PBA bit set; unmasked: delivered; then COM1's IRQ 4 through
#            the IOAPIC. On mkvm the two MSIs must go by irqfd (--stats),
#            and by KVM_SIGNAL_MSI with --no-irqfd
#   net-tap  --net tap=NAME (mkvm only): frames out to the host stack, an
#            ARP request in (on this host: in a network namespace, root)
# The mkvm side is the "virtio" cases of tests/cases.list, on real KVM
# (tests/platforms/kvm.sh: this host's /dev/kvm or the nested L1). The
# QEMU side is below. Bad --disk / --net arguments (cases too) get one
# clear error line and the right exit status, on any host (no KVM needed).
# Environment: ONLY=substr; CASE_TIMEOUT (s, default 120 for QEMU, 60 for
# mkvm in L1); MKVM, QEMU.
set -uo pipefail
PLATFORM=virtio
. "$(dirname "$0")/../platforms/lib.sh"
. "$SRC/tests/platforms/kvm.sh"

GUESTS=$BUILD/tests/virtio
QEMU=${QEMU:-qemu-system-x86_64}
QEMU_TIMEOUT=${CASE_TIMEOUT:-120}
SECTOR=$GUESTS/sector.bin


# new_image PATH [seeded]: 1 MiB of zeros, optionally with the sector in place
# (a read-only disk must already hold what the guest reads back).
new_image() {
	rm -f "$1"
	truncate -s 1M "$1"
	if [[ ${2:-} == seeded ]]; then
		dd if="$SECTOR" of="$1" bs=512 seek=1 conv=notrunc status=none
	fi
}

sector_ok() {
	cmp -s <(dd if="$1" bs=512 skip=1 count=1 status=none) "$SECTOR"
}

# The patterns the mkvm cases of tests/cases.list expect too.
expect_file() { grep -v '^#' "$SRC/tests/virtio/expect/$1" | paste -sd ';'; }
EXPECT_blk=$(expect_file blk)
EXPECT_rng="^virtio-rng: .* bytes nonzero; ^PASS"
EXPECT_net="^virtio-net: frame 2 came back intact; ^PASS"
EXPECT_msix=$(expect_file msix)

# Checks run after a guest, before the verdict: each prints why it failed.
# CHECK is a command (default true) run by qemu_case.
CHECK=true
check_sector() { sector_ok "$1" || echo "the flushed sector is not in $1"; }
check_vcon() {
	grep -q '^virtio-console: hello through the transmitq' "$1" ||
		echo "the line sent is not in the console output $1"
}

# qemu_case NAME EXPECT INPUT CMD...: runs CMD (whose serial output must end up
# in $LOGDIR/NAME.log) with INPUT on stdin, then $CHECK, and judges exit 33
# and EXPECT.
qemu_case() {
	local name=$1 expect=$2 input=$3 log=$LOGDIR/$1.log rc why
	shift 3
	: > "$log"
	printf '%s' "$input" | timeout --kill-after=5 "$QEMU_TIMEOUT" "$@" \
		> "$log.stderr" 2>&1
	rc=$?
	why=$($CHECK)
	if ((rc == 124 || rc == 137)); then
		fail "$name" "timed out after ${QEMU_TIMEOUT}s (log: $log)"
	elif [[ -n $why ]]; then
		fail "$name" "$why (exit $rc, log: $log)"
	else
		judge "$name" "$log" "$rc" 33 "$expect"
	fi
}

qemu_run() {
	local name=$1 elf=$2
	shift 2
	qemu_case "$name" "$EXPECT_QEMU" "" "$QEMU" -M q35 -accel tcg -cpu max -m 256M \
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

# exits_of LOG: the vCPU exit count mkvm --stats printed to LOG.
exits_of() { grep -ao 'exits: vcpu0=[0-9]*' "$1" | grep -o '[0-9]*$'; }

# check_exits LOG BASE MAX (@check:exits): the run of LOG took at most MAX
# more vCPU exits to user space than the run of case BASE.
check_exits() {
	local a b
	a=$(exits_of "$LOGDIR/$2.log") b=$(exits_of "$1")
	if [[ -z $a || -z $b ]]; then
		echo "no exit count in the mkvm --stats output of $2 or of this case"
	elif ((b - a > $3)); then
		echo "3000 notifications cost $((b - a)) exits to user space ($a -> $b)"
	else
		say "${1##*/}: vCPU exits: $a without, $b with 3000 more notifications" >&2
	fi
}

# check_msi LOG IRQFD SIGNAL (@check:msi): mkvm --stats counted IRQFD
# interrupts sent by irqfd and SIGNAL by KVM_SIGNAL_MSI. A host without
# irqfd (the line says why) must have sent them all by KVM_SIGNAL_MSI.
check_msi() {
	local got want="irqfd $2, KVM_SIGNAL_MSI $3"
	got=$(grep -ao 'MSI interrupts: irqfd [0-9]*, KVM_SIGNAL_MSI [0-9]*' "$1")
	got=${got#MSI interrupts: }
	if grep -aq 'irqfd off: KVM_CAP' "$1"; then
		want="irqfd 0, KVM_SIGNAL_MSI $(($2 + $3))"
	fi
	[[ $got == "$want" ]] ||
		echo "mkvm --stats counted '${got:-nothing}' MSI interrupts, expected '$want'"
}

QEMU_CASES=(qemu-virtio-blk qemu-virtio-blk-readonly qemu-virtio-rng qemu-virtio-msix
	    qemu-virtio-net qemu-virtio-console)

for g in blk rng net console msix sector; do
	f=$GUESTS/$g.elf
	[[ $g == sector ]] && f=$SECTOR
	if [[ ! -f $f ]]; then
		fail build "$f is not built (make all)"
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

kvm_suite
summary
