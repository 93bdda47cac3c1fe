#!/usr/bin/env bash
# `make bench-vmm`: mkvm against QEMU booting the same PVH test guest.
# Prints, side by side, the median over RUNS (default 7) runs of the time
# from exec to the guest's first serial byte, to the process exit, and the
# peak RSS; plus mkvm's own --stats (guest RAM resident vs. its overhead).
# Targets (reported, never asserted): first byte >= 10x faster than QEMU;
# mkvm RSS overhead < 2 MiB beyond the guest RAM it touched.
# Environment: GUEST (default build/tests/guests/hello.elf), RUNS, MEM.
set -uo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
MKVM=${MKVM:-$BUILD/vmm/mkvm}
RUNTIME=$BUILD/bench/runtime
GUEST=${GUEST:-$BUILD/tests/guests/hello.elf}
RUNS=${RUNS:-7}
MEM=${MEM:-256M}

[[ -x $RUNTIME && -x $MKVM ]] || { echo "bench-vmm: build first (make all)"; exit 1; }
[[ -f $GUEST ]] || { echo "bench-vmm: SKIP: no guest $GUEST (make all builds it)"; exit 0; }
[[ -w /dev/kvm ]] || { echo "bench-vmm: SKIP: no usable /dev/kvm"; exit 0; }

# median FIELD: median of FIELD over the lines on stdin.
median() {
	grep -o "$1=[-0-9.]*" | cut -d= -f2 | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

# bench NAME CMD...: runs CMD RUNS times; sets first, exit_ms, rss, status.
bench() {
	local name=$1 out; shift
	out=$(for ((i = 0; i < RUNS; i++)); do "$RUNTIME" "$@" < /dev/null 2> /dev/null; done)
	first=$(median first_byte_ms <<< "$out")
	exit_ms=$(median exit_ms <<< "$out")
	rss=$(median maxrss_kib <<< "$out")
	status=$(median status <<< "$out")
}

echo "bench-vmm: guest $(basename "$GUEST"), --mem $MEM, median of $RUNS runs"
echo "host KVM: $("$MKVM" --probe | sed -n 's/^kvm module: *//p')"

bench mkvm "$MKVM" --no-host-check --mem "$MEM" "$GUEST"
m_first=$first m_exit=$exit_ms m_rss=$rss m_status=$status
bench probe "$MKVM" --probe
probe_ms=$exit_ms

# QEMU with the same accelerator (KVM; -cpu qemu64, as -cpu host fails on
# kvm_pvm) and, for reference, TCG as the qemu platform runs it.
qemu_base=(qemu-system-x86_64 -m "$MEM" -display none -nodefaults -no-reboot
	   -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST")
bench qemu-kvm "${qemu_base[@]}" -accel kvm -cpu qemu64
k_first=$first k_exit=$exit_ms k_rss=$rss k_status=$status
bench qemu-tcg "${qemu_base[@]}" -accel tcg
t_first=$first t_exit=$exit_ms t_rss=$rss t_status=$status

row() { printf '%-26s %12s %12s %12s\n' "$@"; }
echo
row "" "mkvm (kvm)" "qemu (kvm)" "qemu (tcg)"
row "exec -> first serial byte" "$m_first ms" "$k_first ms" "$t_first ms"
row "exec -> exit" "$m_exit ms" "$k_exit ms" "$t_exit ms"
row "peak RSS" "$m_rss KiB" "$k_rss KiB" "$t_rss KiB"
row "exit status" "$m_status" "$k_status" "$t_status"
[[ $k_status == "$m_status" ]] || echo "note: QEMU with KVM did not run the guest to the same end here"
awk -v m="$m_first" -v k="$k_first" -v t="$t_first" 'BEGIN { if (m > 0)
	printf "first byte: mkvm is %.1fx faster than QEMU/KVM, %.1fx than QEMU/TCG (target >= 10x)\n", k / m, t / m }'
echo "host check (mkvm --probe, paid at every boot without --no-host-check): $probe_ms ms"
echo
echo "mkvm --stats (RSS overhead beyond guest RAM touched; target < 2 MiB):"
stats=$("$MKVM" --no-host-check --stats --mem "$MEM" "$GUEST" < /dev/null 2>&1 > /dev/null)
grep '^mkvm: stats' <<< "$stats" || echo "(no stats line: $stats)"
