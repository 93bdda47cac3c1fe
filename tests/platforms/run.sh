#!/usr/bin/env bash
# `make run`: boots the system (build/kernel/kernel.elf with the servers'
# boot module build/servers/boot.cpio) in mkvm with the console on this
# terminal. Directly on /dev/kvm when `mkvm --probe` accepts this host;
# otherwise inside the nested NPT platform (QEMU TCG -> Linux kvm_amd ->
# mkvm), still interactive. mkvm's escape, Ctrl-A x, quits in both cases;
# in the nested case QEMU's own escape is moved to Ctrl-] (Ctrl-] x kills
# QEMU outright), so Ctrl-A reaches mkvm. Extra arguments go to mkvm.
# The system comes up in the console shell ("shell" on the kernel command
# line, on a virtio console, with virtio-rng, a loopback virtio-net and a
# virtio-blk scratch disk, build/run/disk.img, 1 MiB of zeros made on first
# use); an extra --cmdline replaces it. On the nested platform the disk is
# copied into L1: what the guest writes lasts for that run.
set -uo pipefail
PLATFORM=run
RUN_ARGS=(--console --rng --net user-loopback --cmdline shell)
. "$(dirname "$0")/lib.sh"

mkvm=$BUILD/vmm/mkvm
kernel=$BUILD/kernel/kernel.elf
module=$BUILD/servers/boot.cpio
disk=$BUILD/run/disk.img
missing=
for f in "$mkvm" "$kernel" "$module"; do
	[[ -f $f ]] || missing+=" build/${f#"$BUILD"/}"
done
if [[ -n $missing ]]; then
	say "error: not built yet:$missing (see \`make all\`'s output for why)" >&2
	exit 1
fi

if [[ ! -f $disk ]]; then
	mkdir -p "${disk%/*}" && truncate -s 1M "$disk" || exit 1
	say "created the scratch disk build/run/disk.img (1 MiB, the guest's virtio-blk)"
fi

probe=$("$mkvm" --probe 2>&1)
if [[ $? == 0 ]]; then
	say "host passes mkvm's probe: booting on /dev/kvm (quit: Ctrl-A x)"
	exec "$mkvm" --initrd "$module" --disk "$disk" "${RUN_ARGS[@]}" "$@" "$kernel"
fi

say "mkvm --probe says this host cannot run the system directly:"
printf '%s\n' "$probe" | sed 's/^/    /'
say "booting the nested NPT platform instead: QEMU TCG -> Debian Linux with kvm_amd -> mkvm (~10 s to start)"
. "$SRC/tests/platforms/l1/l1.sh"
l1_lock
l1_kernel || exit 1
l1_new_root
l1_stage_image "${kernel#"$BUILD"/}"
l1_stage_image "${module#"$BUILD"/}"
l1_stage_image "${disk#"$BUILD"/}"
{
	printf 'exec /mkvm/mkvm --initrd %s --disk %s' "$(l1_shq "/build/${module#"$BUILD"/}")" \
		"$(l1_shq "/build/${disk#"$BUILD"/}")"
	for a in "${RUN_ARGS[@]}" "$@"; do printf ' %s' "$(l1_shq "$a")"; done
	printf ' %s\n' "$(l1_shq "/build/${kernel#"$BUILD"/}")"
} > "$L1_ROOT/etc/mkvm/run"
l1_initramfs kvm-amd || exit 1
say "quit: Ctrl-A x quits mkvm and L1 powers off; Ctrl-] x kills QEMU at once"
exec qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1G -nographic -echr 0x1d \
	-no-reboot -kernel "$L1_KDIR/vmlinuz" -initrd "$L1_WORK/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet loglevel=1 panic=-1 mkvm.mode=run"
