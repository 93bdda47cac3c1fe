#!/usr/bin/env bash
# `make bench-virtio`: virtio-blk throughput through the guest's driver
# server, mkvm against QEMU, printed and never asserted. One boot of the
# nested platform's L1 (QEMU TCG -> Debian Linux with kvm_amd) runs the
# system with "benchblk" (guest-servers/root/bench_blk.c: sequential and
# random 4 KiB writes and reads) on a fresh 16 MiB image, under
#   mkvm --stats --disk IMAGE                      (twice, see below)
#   QEMU -accel kvm, -device virtio-blk-pci        (QEMU copied into L1)
# so both VMMs run the same guest on the same nested KVM. Exits to user
# space per request: mkvm's exit count with BLKREQS requests per phase minus
# its count with none (blkreqs=0 prints exactly as many serial bytes), over
# the requests. Seconds come from each phase's raw TSC cycles over one rate
# for both VMMs: the L1 kernel's TSC calibration (neither VMM scales the
# TSC, so both guests count at L1's rate). Each guest's own rate (its TSC
# against its kernel's tick count, which depends on the VMM's timer
# emulation and tick latency) and L1's wall time per run are printed beside
# it as cross-checks. When QEMU cannot run in L1, QEMU TCG on this host
# stands in, labelled as such (its TSC is this host's: /proc/cpuinfo's rate
# is not used, so its column keeps the guest's own rate). Numbers from an emulated L1 compare the VMMs with each
# other, not with hardware. Environment: BLKREQS (per phase, default 1024),
# VERBOSE=1, L1_TIMEOUT (s, default 900). Logs: build/logs/bench-virtio/.
set -uo pipefail
PLATFORM=bench-virtio
. "$(dirname "$0")/../platforms/lib.sh"
. "$SRC/tests/platforms/l1/l1.sh"

BLKREQS=${BLKREQS:-1024}
DISK_MIB=16
L1_TIMEOUT=${L1_TIMEOUT:-900}
L1_LOG=$LOGDIR/l1-serial.log
KERNEL=kernel/kernel.elf MODULE=servers/boot.cpio
QEMU=$(command -v qemu-system-x86_64) || { say "SKIP: qemu-system-x86_64 is not installed"; exit 0; }
for f in vmm/mkvm $KERNEL $MODULE; do
	[[ -f $BUILD/$f ]] || { say "error: build/$f is not built (make all)"; exit 1; }
done

l1_lock
l1_kernel || { say "SKIP: no L1 kernel: $L1_ERROR"; exit 0; }
l1_new_root
l1_stage_image $KERNEL
l1_stage_image $MODULE

qemu_in_l1=yes
l1_stage_qemu "$QEMU" || qemu_in_l1=no

args=$(l1_shq "/build/$KERNEL")\ $(l1_shq "/build/$MODULE")
{
	# The L1 kernel's TSC rate (its last, refined, calibration) and L1's
	# uptime around each run. Not mkvm runs: the cases file is shell.
	echo 'mark "l1-tsc $(dmesg | sed -n "s/.*tsc: .* \([0-9][0-9]*\.[0-9]*\) MHz.*/\1/p" | tail -1)"'
	echo 'mark "l1-uptime mkvm $(cut -d" " -f1 /proc/uptime)"'
	printf 'run_case mkvm 600 %s %s %s\n' "$args" "$(l1_shq "benchblk blkreqs=$BLKREQS exit")" \
		"$(l1_shq "--stats --disk @scratch:$DISK_MIB")"
	echo 'mark "l1-uptime mkvm-end $(cut -d" " -f1 /proc/uptime)"'
	printf 'run_case mkvm-base 600 %s %s %s\n' "$args" "$(l1_shq "benchblk blkreqs=0 exit")" \
		"$(l1_shq "--stats --disk @scratch:$DISK_MIB")"
	# Not a mkvm run: the cases file is shell, sourced by L1's init.
	[[ $qemu_in_l1 == yes ]] && cat <<-EOF
	mark "l1-uptime qemu \$(cut -d' ' -f1 /proc/uptime)"
	mark "case-begin qemu"
	dd if=/dev/zero of=/tmp/qemu.img bs=1M count=$DISK_MIB 2> /dev/null
	timeout -s KILL 600 /qemu/qemu-system-x86_64 -L /qemu/fw -M q35 -accel kvm -cpu max \\
		-m 256M -display none -nodefaults -no-reboot -serial stdio \\
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \\
		-drive file=/tmp/qemu.img,if=none,format=raw,id=vblk \\
		-device virtio-blk-pci,drive=vblk,disable-legacy=on \\
		-kernel /build/$KERNEL -initrd /build/$MODULE \\
		-append "benchblk blkreqs=$BLKREQS exit" < /dev/null 2>&1
	mark "case-end qemu status=\$?"
	mark "l1-uptime qemu-end \$(cut -d' ' -f1 /proc/uptime)"
	rm -f /tmp/qemu.img
	EOF
} > "$L1_ROOT/etc/mkvm/cases"
l1_initramfs kvm-amd || { say "error: cannot build the L1 initramfs"; exit 1; }

say "booting L1 in QEMU TCG: benchblk, $BLKREQS requests per phase, ${DISK_MIB} MiB image; serial: $L1_LOG"
qemu=("$QEMU" -accel tcg -cpu max -smp 1 -m 1G -nographic -monitor none -serial stdio -no-reboot
      -kernel "$L1_KDIR/vmlinuz" -initrd "$L1_WORK/initramfs.cpio.gz"
      -append "console=ttyS0 quiet loglevel=1 panic=-1 mkvm.mode=test")
if [[ ${VERBOSE:-0} == 1 ]]; then
	timeout "$L1_TIMEOUT" "${qemu[@]}" < /dev/null | tee "$L1_LOG"
else
	timeout "$L1_TIMEOUT" "${qemu[@]}" < /dev/null > "$L1_LOG" 2>&1
fi
grep -aq "^@@mkvm-$L1_NONCE done" "$L1_LOG" || say "warning: L1 did not finish (log: $L1_LOG)"

# run NAME: sets log, status and the benchblk results of L1's run NAME.
run() {
	log=$LOGDIR/$1.log
	l1_section "case-begin $1" "case-end $1 status=" > "$log"
	status=$(grep -a "^@@mkvm-$L1_NONCE case-end $1 status=" "$L1_LOG" | tr -d '\r' | sed 's/.*status=//')
}
# field LOG PHASE COLUMN: "12 KiB/s" style column of a benchblk line.
field() {
	awk -v p="$2" -v c="$3" '{ sub(/\r$/, "") } $1 == "benchblk:" && $2 == p {
		for (i = 3; i < NF; i++) if ($(i + 1) == c) { print $i; exit } }' "$1"
}
exits() { sed -n 's/^mkvm: stats: .*exits: vcpu0=\([0-9]*\).*/\1/p' "$1" | head -1; }

run mkvm;      m_log=$log m_status=$status
run mkvm-base; b_log=$log b_status=$status
q_label="qemu (kvm, in L1)"
if [[ $qemu_in_l1 == yes ]]; then
	run qemu; q_log=$log q_status=$status
fi
if [[ $qemu_in_l1 != yes || ${q_status:-} != 33 ]]; then
	say "QEMU in L1 did not finish the benchmark (status ${q_status:-none}, log: ${q_log:-none}); QEMU TCG on this host instead"
	q_label="qemu (TCG, host)" q_log=$LOGDIR/qemu-tcg.log
	disk=$LOGDIR/qemu-tcg.img
	rm -f "$disk" && truncate -s ${DISK_MIB}M "$disk"
	timeout 900 "$QEMU" -M q35 -accel tcg -cpu max -m 256M -display none -nodefaults -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-drive "file=$disk,if=none,format=raw,id=vblk" -device virtio-blk-pci,drive=vblk,disable-legacy=on \
		-kernel "$BUILD/$KERNEL" -initrd "$BUILD/$MODULE" -append "benchblk blkreqs=$BLKREQS exit" \
		< /dev/null > "$q_log" 2>&1
	q_status=$?
	rm -f "$disk"
fi
for r in "mkvm:$m_status:$m_log" "mkvm-base:$b_status:$b_log" "qemu:$q_status:$q_log"; do
	IFS=: read -r n s l <<< "$r"
	[[ $s == 33 ]] || say "warning: run $n ended with status ${s:-none}, not 33 (log: $l)"
done

# l1mark KEY: the value L1's init printed as "@@mkvm-NONCE KEY VALUE".
l1mark() { grep -a "^@@mkvm-$L1_NONCE $1 " "$L1_LOG" | tr -d '\r' | sed "s/^@@mkvm-$L1_NONCE $1 //" | head -1; }
l1_mhz=$(l1mark l1-tsc)
# guest_khz LOG: the TSC rate a benchblk run measured against its kernel's clock.
guest_khz() { awk '{ sub(/\r$/, "") } $1 == "benchblk:" && $3 == "requests" { print $(NF - 1); exit }' "$1"; }
# rate LOG PHASE KHZ: "KiB/s req/s" of PHASE from its raw cycles at KHZ.
rate() {
	awk -v c="$(field "$1" "$2" cycles)" -v k="$3" -v n="$BLKREQS" 'BEGIN {
		if (c == "" || k == "" || c + 0 == 0 || k + 0 == 0) { print "- -"; exit }
		r = n * k * 1000 / c; printf "%d %d\n", r * 4, r }'
}
# wall NAME: L1's seconds from the mark before run NAME to the one after.
wall() {
	local a b
	a=$(l1mark "l1-uptime $1") b=$(l1mark "l1-uptime $1-end")
	[[ -n $a && -n $b ]] && awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }' || echo "?"
}
# phases NAME LOG KHZ: seconds of the four phases' cycles at KHZ.
phases() {
	local c t=0
	for p in seq-write seq-read rand-write rand-read; do
		c=$(field "$2" $p cycles); t=$((t + ${c:-0}))
	done
	awk -v c=$t -v k="$3" 'BEGIN { if (k + 0) printf "%.2f", c / k / 1000; else print "?" }'
}

m_khz=$(guest_khz "$m_log") q_khz=$(guest_khz "$q_log")
l1_khz=$(awk -v m="$l1_mhz" 'BEGIN { if (m + 0) printf "%d", m * 1000 }')
if [[ -n $l1_khz ]]; then
	m_basis=$l1_khz m_bname="L1 TSC $l1_khz kHz"
else
	m_basis=$m_khz m_bname="guest's own rate (no L1 TSC rate found)"
fi
q_basis=$m_basis q_bname=$m_bname
[[ $q_label == *TCG* ]] && q_basis=$q_khz q_bname="guest's own rate (QEMU TCG on this host: not L1's TSC)"

echo
echo "bench-virtio: virtio-blk, 4 KiB requests through the guest's driver server, $BLKREQS per phase, ${DISK_MIB} MiB raw image"
echo "L1: $(cut -d' ' -f1 "$L1_KDIR/package") in QEMU TCG (kvm_amd, nested); QEMU column: $q_label"
echo "seconds = each phase's raw TSC cycles / one TSC rate: mkvm by $m_bname; QEMU by $q_bname"
row() { printf '%-11s %12s %12s %12s %12s\n' "$@"; }
row "" "mkvm KiB/s" "mkvm req/s" "QEMU KiB/s" "QEMU req/s"
for p in seq-write seq-read rand-write rand-read; do
	row "$p" $(rate "$m_log" $p "$m_basis") $(rate "$q_log" $p "$q_basis")
done
echo "cross-checks: the guests' own TSC rates (TSC against their kernel's tick count): mkvm ${m_khz:-?} kHz, QEMU ${q_khz:-?} kHz"
echo "  L1 wall time of each whole run (boot, setup, phases, exit): mkvm $(wall mkvm) s, QEMU $(wall qemu) s;" \
	"its four phases by the basis above: mkvm $(phases mkvm "$m_log" "$m_basis") s, QEMU $(phases qemu "$q_log" "$q_basis") s"
e1=$(exits "$m_log") e0=$(exits "$b_log")
if [[ -n $e1 && -n $e0 ]]; then
	echo "mkvm exits to user space: $e1 with $((4 * BLKREQS)) requests, $e0 without;" \
		"$(awk -v a="$e1" -v b="$e0" -v n=$((4 * BLKREQS)) 'BEGIN { printf "%.3f", (a - b) / n }') per request"
	grep -ah '^mkvm: stats: MSI' "$m_log" | head -1 | tr -d '\r'
else
	echo "mkvm exits to user space: not reported (logs: $m_log, $b_log)"
fi
