#!/usr/bin/env bash
# `make bench-vmm`: mkvm against QEMU (-accel kvm) on the same KVM, booting
# the same guests: the tiny test guest (build/tests/guests/hello.elf) and
# the kernel with its servers (command line "exit": it ends once the
# system is up). Prints, side by side with the ratio QEMU / mkvm, the
# median over RUNS runs of the time from exec to the guest's first serial
# byte and to the process exit, the peak RSS, and the VMM's own RSS
# overhead (peak RSS minus the guest RAM it touched: mkvm --stats measures
# it; for QEMU the same guest RAM is subtracted, an estimate). Reported,
# never asserted. Runs on this host's /dev/kvm when `mkvm --probe` accepts
# it, otherwise in one boot of the nested platform's L1 (QEMU TCG -> Linux
# kvm_amd), with QEMU and its firmware copied into L1 as bench-virtio
# does; the output says where. The runs themselves: tests/bench/vmm-runs.sh.
# Environment: RUNS (default 7 here, 5 in L1), MEM (default 256M),
# L1_TIMEOUT (s, default 600). Logs: build/logs/bench-vmm/.
set -uo pipefail
PLATFORM=bench-vmm
. "$(dirname "$0")/../platforms/lib.sh"
. "$SRC/tests/platforms/l1/l1.sh"

MKVM=${MKVM:-$BUILD/vmm/mkvm}
RUNTIME=$BUILD/bench/runtime
TINY=tests/guests/hello.elf KERNEL=kernel/kernel.elf MODULE=servers/boot.cpio
MEM=${MEM:-256M}
L1_TIMEOUT=${L1_TIMEOUT:-600}
OUT=$LOGDIR/runs.txt

for f in vmm/mkvm bench/runtime $TINY $KERNEL $MODULE; do
	[[ -f $BUILD/$f ]] || { say "error: build/$f is not built (make all)"; exit 1; }
done
QEMU=$(command -v qemu-system-x86_64) || QEMU=

# bench_here: the runs on this host's KVM.
bench_here() {
	local cpu=max
	# -cpu max (host) fails on kvm_pvm
	[[ -d /sys/module/kvm_pvm ]] && cpu=qemu64
	WHERE="this host's /dev/kvm ($("$MKVM" --probe | sed -n 's/^kvm module: *//p'))"
	RUNS=${RUNS:-7}
	(
		. "$SRC/tests/bench/vmm-runs.sh"
		MKVM=$MKVM QEMU=$QEMU QEMU_ARGS="-M q35 -accel kvm -cpu $cpu" RUNTIME=$RUNTIME
		TINY=$BUILD/$TINY KERNEL=$BUILD/$KERNEL MODULE=$BUILD/$MODULE
		bench_all
	) > "$OUT"
}

# bench_l1: the same runs inside the nested L1, in one boot.
bench_l1() {
	local f qemu=
	RUNS=${RUNS:-5}
	l1_lock
	l1_kernel || { say "error: no L1 kernel: $L1_ERROR"; exit 1; }
	l1_new_root
	for f in $TINY $KERNEL $MODULE; do l1_stage_image "$f"; done
	l1_copy_binary "$RUNTIME" bench/runtime "$L1_ROOT" || exit 1
	install -D -m 644 "$SRC/tests/bench/vmm-runs.sh" "$L1_ROOT/etc/mkvm/vmm-runs.sh"
	if [[ -n $QEMU ]] && l1_stage_qemu "$QEMU"; then
		qemu=/qemu/qemu-system-x86_64
	fi
	cat > "$L1_ROOT/etc/mkvm/cases" <<-EOF
	. /etc/mkvm/vmm-runs.sh
	QEMU=$qemu QEMU_ARGS="-L /qemu/fw -M q35 -accel kvm -cpu max" RUNTIME=/bench/runtime
	RUNS=$RUNS MEM=$MEM TINY=/build/$TINY KERNEL=/build/$KERNEL MODULE=/build/$MODULE
	mark bench-begin
	bench_all
	mark bench-end
	EOF
	l1_initramfs kvm-amd || { say "error: cannot build the L1 initramfs"; exit 1; }
	L1_LOG=$LOGDIR/l1-serial.log
	say "booting the nested platform's L1 once for all runs; serial: $L1_LOG"
	l1_boot_qemu bench-vmm
	l1_section bench-begin bench-end > "$OUT"
	WHERE="nested L1: QEMU TCG -> Linux $(l1_fact module) (npt=$(l1_fact npt)) on this host, which has no usable /dev/kvm"
}

# median VMM GUEST FIELD: the median of FIELD over those runs.
median() {
	awk -v v="$1" -v g="$2" '$1 == "bench" && $2 == v && $3 == g' "$OUT" |
		grep -o "$3=[-0-9.]*" | cut -d= -f2 | sort -n |
		awk '{ x[NR] = $1 } END { if (NR) print x[int((NR + 1) / 2)]; else print "-" }'
}

# stat GUEST KEY: a figure of mkvm --stats for GUEST ("peak RSS N KiB", ...).
stat() { sed -n "s/^stats $1 .*$2 \\([0-9]*\\) KiB.*/\\1/p" "$OUT" | head -1; }

ratio() { awk -v q="$1" -v m="$2" 'BEGIN { if (m > 0 && q != "-" && q != "") printf "%.1fx", q / m; else print "-" }'; }

row() { printf '%-28s %11s %11s %8s   %11s %11s %8s\n' "$@"; }

if "$MKVM" --probe > /dev/null 2>&1; then
	bench_here
else
	bench_l1
fi
echo
say "measured on $WHERE; median of $RUNS runs, --mem $MEM"
row "" "tiny mkvm" "tiny qemu" "q/m" "kernel mkvm" "kernel qemu" "q/m"
for m in "exec -> first serial byte:first_byte_ms:ms" "exec -> exit:exit_ms:ms" \
	 "peak RSS:maxrss_kib:KiB"; do
	IFS=: read -r label field unit <<< "$m"
	cols=()
	for g in tiny kernel; do
		a=$(median mkvm $g "$field") b=$(median qemu $g "$field")
		cols+=("$a $unit" "$b $unit" "$(ratio "$b" "$a")")
	done
	row "$label" "${cols[@]}"
done
cols=()
for g in tiny kernel; do
	guest_kib=$(stat $g "guest RAM resident")
	a=$(stat $g overhead) b=$(median qemu $g maxrss_kib)
	[[ -n $guest_kib && $b != - ]] && b=$((b - guest_kib)) || b=-
	cols+=("${a:--} KiB" "$b KiB" "$(ratio "$b" "${a:-0}")")
done
row "VMM RSS overhead" "${cols[@]}"
row "exit status" "$(median mkvm tiny status)" "$(median qemu tiny status)" "" \
	"$(median mkvm kernel status)" "$(median qemu kernel status)" ""
echo
say "tiny: $TINY; kernel: $KERNEL + $MODULE, command line \"exit\"; QEMU -M q35 -accel kvm;"
say "QEMU's overhead is its peak RSS minus the guest RAM mkvm measured for the same guest (an estimate: SeaBIOS touches more)"
[[ -n $QEMU ]] || say "qemu-system-x86_64 is not installed: no QEMU columns"
grep -q '^bench qemu ' "$OUT" || say "no QEMU runs (see $OUT)"
say "raw runs: $OUT"
