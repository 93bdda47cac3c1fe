#!/usr/bin/env bash
# make bench-kernel: the kernel's microbenchmarks side by side with the
# nearest operations on a Linux guest, both booted in the same QEMU (TCG,
# -cpu max, -m 256M), each once plainly (TSC cycles per operation) and once
# with -icount shift=0 (the TSC then counts instructions). Prints the raw
# "bench:" lines and one table. Printed, never asserted: exits 0 even when a
# side cannot run, and says why in its column.
#
# usage: bench-kernel.sh KERNEL_ELF BOOT_CPIO LXBENCH
set -u
KERNEL_ELF=${1:?usage: bench-kernel.sh KERNEL_ELF BOOT_CPIO LXBENCH}
BOOT_CPIO=${2:?usage: bench-kernel.sh KERNEL_ELF BOOT_CPIO LXBENCH}
LXBENCH=${3:?usage: bench-kernel.sh KERNEL_ELF BOOT_CPIO LXBENCH}

PLATFORM=bench
. "$(dirname "${BASH_SOURCE[0]}")/../../platforms/lib.sh"
. "$SRC/tests/platforms/l1/l1.sh"

QEMU=(qemu-system-x86_64 -M q35 -accel tcg -cpu max -m 256M -display none
      -nodefaults -no-reboot -serial stdio)

# run_mkvm LOG [QEMU ARGS...]: the kernel's own bench (bench.c).
run_mkvm() {
	local log=$1; shift
	timeout 120 "${QEMU[@]}" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$KERNEL_ELF" -initrd "$BOOT_CPIO" -append "bench exit" "$@" \
		< /dev/null > "$log" 2>&1
}

# linux_initramfs: the Debian kernel of the nested platforms (l1_kernel,
# cached in build/platform/debian-kernel) and an initramfs of busybox,
# tests/bench/linux/init and lxbench. Sets VMLINUZ and INITRD.
linux_initramfs() {
	local root=$BUILD/bench/linux-root
	l1_kernel || return
	VMLINUZ=$L1_KDIR/vmlinuz
	INITRD=$BUILD/bench/linux-initramfs.cpio.gz
	rm -rf "$root" && mkdir -p "$root"
	l1_copy_binary "$(command -v busybox)" bin/busybox "$root" ||
		{ l1_die "busybox is not installed (package busybox-static)"; return; }
	install -m 755 "$SRC/tests/bench/linux/init" "$root/init" &&
	install -m 755 "$LXBENCH" "$root/lxbench" &&
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --quiet -o -0 -H newc -R 0:0 | gzip -1) > "$INITRD"
}

# run_linux LOG [QEMU ARGS...]: boots the Linux guest, which runs lxbench.
run_linux() {
	local log=$1; shift
	timeout 150 "${QEMU[@]}" -kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 quiet loglevel=1 panic=-1" "$@" \
		< /dev/null > "$log" 2>&1
}

# value LOG NAME: the number of "bench: NAME N cycles/op" in LOG, or "-".
value() {
	local v
	v=$(sed -n "s/^bench: $2 \([0-9]*\) cycles.*/\1/p" "$1" 2>/dev/null | head -1)
	printf '%s' "${v:--}"
}

mkdir -p "$BUILD/bench"
L=$LOGDIR
for mode in tsc icount; do
	extra=(); [[ $mode == icount ]] && extra=(-icount shift=0)
	say "mkvm kernel, QEMU TCG ${extra[*]:-(TSC cycles)}"
	run_mkvm "$L/mkvm-$mode.log" "${extra[@]}"
	grep -a '^bench:' "$L/mkvm-$mode.log" || say "no bench lines; see $L/mkvm-$mode.log"
done

linux_why=
if linux_initramfs; then
	for mode in tsc icount; do
		extra=(); [[ $mode == icount ]] && extra=(-icount shift=0)
		say "Linux ($(cut -d' ' -f1 "$L1_KDIR/package")), QEMU TCG ${extra[*]:-(TSC cycles)}"
		run_linux "$L/linux-$mode.log" "${extra[@]}"
		grep -a '^bench:' "$L/linux-$mode.log" || say "no bench lines; see $L/linux-$mode.log"
	done
else
	linux_why=${L1_ERROR:-cannot build the Linux guest}
fi

# row LABEL MKVM-NAME LINUX-LABEL LINUX-NAME: one table row; a name left
# empty gives "n/a" cells.
row() {
	local m=(n/a n/a) x=(n/a n/a)
	[[ -n $2 ]] && m=("$(value "$L/mkvm-tsc.log" "$2")" "$(value "$L/mkvm-icount.log" "$2")")
	[[ -n $4 ]] && x=("$(value "$L/linux-tsc.log" "$4")" "$(value "$L/linux-icount.log" "$4")")
	printf '| %-34s | %11s | %10s | %-34s | %12s | %11s |\n' \
		"$1" "${m[@]}" "${3:-n/a}" "${x[@]}"
}

echo
echo "QEMU TCG, -cpu max, -m 256M, one CPU. cycles: TSC cycles per operation;"
echo "instr: instructions per operation (the TSC under -icount shift=0)."
echo
printf '| %-34s | %11s | %10s | %-34s | %12s | %11s |\n' operation "mkvm cycles" \
	"mkvm instr" "Linux equivalent" "Linux cycles" "Linux instr"
dashes() { printf -- '-%.0s' $(seq "$1"); }
printf '|%s|%s:|%s:|%s|%s:|%s:|\n' "$(dashes 36)" "$(dashes 12)" "$(dashes 11)" \
	"$(dashes 36)" "$(dashes 13)" "$(dashes 12)"
row "null system call (kinfo)" null-syscall "getpid" linux-getpid
row "system call, general path" general-syscall "" ""
row "IPC call+reply, two address spaces" ipc-call-reply-cross-space \
	"pipe ping-pong, two processes" linux-pipe-pingpong
row "  call direction (callee's stamp)" ipc-call-direction-cross-space "" ""
row "  reply-and-wait direction" ipc-reply-wait-direction-cross-space "" ""
row "IPC call+reply, one address space" ipc-call-reply-same-space \
	"sched_yield ping-pong, two threads" linux-sched-yield-pingpong
row "  call direction (callee's stamp)" ipc-call-direction-same-space "" ""
row "  reply-and-wait direction" ipc-reply-wait-direction-same-space "" ""
row "page fault, fresh zeroed page" page-fault-root-pager \
	"first write, fresh anonymous page" linux-fault-anon
row "page fault, copy-on-write copy" page-fault-cow-copy \
	"first write after fork (COW copy)" linux-fault-cow
row "  COW, the other space gone" page-fault-cow-last "" ""
row "  frame the pager holds (remap)" page-fault-remap "" ""
row "space copy, per page held" space-copy-per-page "" ""
# The kernel says which switch it measured; QEMU TCG offers no PCID.
if grep -aq '^bench: address-space-switch .*(no pcid' "$L/mkvm-tsc.log"; then
	row "address-space switch, no PCID" address-space-switch "" ""
	printf '| %-34s | %11s | %10s | %-34s | %12s | %11s |\n' \
		"address-space switch, PCID" "no PCID" "in QEMU" n/a n/a n/a
else
	row "address-space switch, PCID" address-space-switch "" ""
	row "address-space switch, no PCID" "" "" ""
fi
row "zone call: plain function call" zone-plain-call "" ""
row "zone call: call gate (WRPKRU)" zone-gate-call "" ""
row "zone call: through the kernel" zone-kernel-call "" ""
row "zone call: IPC to a server instead" zone-ipc-call-reply "" ""
echo
echo "Zone rows (docs/zones.md): one call of kv_nop(1, 2, 3) in the key-value library of"
echo "zonedemo, as a plain call in the caller's zone, through its call gate, through the"
echo "kernel's zone call, and as an IPC call+reply to kvserver, the library in its own space."
echo "The switch rows are derived: (two-space - one-space round trip) / 2. The PCID figure"
echo "is measured under Bochs (nested platform); see docs/kernel.md, Tests and benchmarks."
echo "The direction rows split a separate run of the same round trip at a TSC stamp the"
echo "callee takes when its receive returns; each includes one RDTSC and an IPC stub."
echo "Page faults: 64 pages, one write each, resolved by the root task's pager (docs/cow.md);"
echo "the copy-on-write rows write pages shared with a copy of the space (MKVM_ROOT_COPY)."
echo
echo "Reference, NOT measured here: published figures, copied from the sites cited, on real"
echo "hardware (not comparable with emulator cycles; instruction counts roughly are)."
echo
echo "| kernel | published figure | platform | source |"
echo "|---|---|---|---|"
echo "| seL4 | 301 cycles one-way IPC (half a round trip), between address spaces, hot cache | Core i7-4770 (Haswell) 3.4 GHz, x86 32-bit, NICTA 2013 (SOSP'13) | https://trustworthy.systems/projects/OLD/L4/comparative_performance |"
echo "| seL4, x86-64 | not found (https://sel4.systems/performance.html has the current sel4bench figures; no stored copy with the numbers was available) | - | - |"
echo "| Fiasco (L4Re microkernel) | 390 reference cycles / 1388 core cycles / 613 instructions retired, \"a single IPC\" between two tasks (Inter) | Intel N100, amd64, CONFIG_PERFORMANCE=y | https://l4re.org/performance.html |"
echo
[[ -z $linux_why ]] || echo "Linux column: not run: $linux_why"
[[ -n $linux_why ]] || echo "Linux: $(cat "$L1_KDIR/package"); logs in $L/"
exit 0
