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
# the requests. When QEMU cannot run in L1, QEMU TCG on this host stands in,
# labelled as such. Numbers from an emulated L1 compare the VMMs with each
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

# QEMU and the firmware a PVH -kernel boot of q35 reads, at /qemu in L1.
l1_stage_qemu() {
	local f src
	l1_copy_binary "$QEMU" qemu/qemu-system-x86_64 "$L1_ROOT" || return
	for f in bios-256k.bin linuxboot_dma.bin pvh.bin kvmvapic.bin; do
		src=$(for d in $("$QEMU" -L help); do [[ -f $d/$f ]] && echo "$d/$f"; done | head -1)
		[[ -n $src ]] || { say "no $f in $("$QEMU" -L help | tr '\n' ' ')"; return 1; }
		install -D -m 644 "$(readlink -f "$src")" "$L1_ROOT/qemu/fw/$f" || return
	done
}
qemu_in_l1=yes
l1_stage_qemu || qemu_in_l1=no

args=$(l1_shq "/build/$KERNEL")\ $(l1_shq "/build/$MODULE")
{
	printf 'run_case mkvm 600 %s %s %s\n' "$args" "$(l1_shq "benchblk blkreqs=$BLKREQS exit")" \
		"$(l1_shq "--stats --disk @scratch:$DISK_MIB")"
	printf 'run_case mkvm-base 600 %s %s %s\n' "$args" "$(l1_shq "benchblk blkreqs=0 exit")" \
		"$(l1_shq "--stats --disk @scratch:$DISK_MIB")"
	# Not a mkvm run: the cases file is shell, sourced by L1's init.
	[[ $qemu_in_l1 == yes ]] && cat <<-EOF
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

echo
echo "bench-virtio: virtio-blk, 4 KiB requests through the guest's driver server, $BLKREQS per phase, ${DISK_MIB} MiB raw image"
echo "L1: $(cut -d' ' -f1 "$L1_KDIR/package") in QEMU TCG (kvm_amd, nested); the guest's TSC rate: $(awk '$1 == "benchblk:" && $3 == "requests" { print $(NF - 1), $NF; exit }' "$m_log")"
echo "QEMU column: $q_label"
row() { printf '%-11s %12s %12s %12s %12s\n' "$@"; }
row "" "mkvm KiB/s" "mkvm req/s" "QEMU KiB/s" "QEMU req/s"
for p in seq-write seq-read rand-write rand-read; do
	row "$p" "$(field "$m_log" $p KiB/s)" "$(field "$m_log" $p req/s)" \
		"$(field "$q_log" $p KiB/s)" "$(field "$q_log" $p req/s)"
done
e1=$(exits "$m_log") e0=$(exits "$b_log")
if [[ -n $e1 && -n $e0 ]]; then
	echo "mkvm exits to user space: $e1 with $((4 * BLKREQS)) requests, $e0 without;" \
		"$(awk -v a="$e1" -v b="$e0" -v n=$((4 * BLKREQS)) 'BEGIN { printf "%.3f", (a - b) / n }') per request"
	grep -ah '^mkvm: stats: MSI' "$m_log" | head -1 | tr -d '\r'
else
	echo "mkvm exits to user space: not reported (logs: $m_log, $b_log)"
fi
