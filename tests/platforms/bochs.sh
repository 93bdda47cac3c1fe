#!/usr/bin/env bash
# `make check-bochs`: Bochs (Haswell: VMX, EPT, VPID, PCID, INVPCID) -> Debian
# Linux with kvm_intel -> mkvm -> guest. The one platform here where EPT,
# PCID and INVPCID are all real, so besides every "bochs" case of
# tests/cases.list it asserts them: kvm-intel-ept (ept=Y, vpid=Y) and
# cpu-pcid (pcid and invpcid in L1's cpuinfo and in mkvm --probe's output).
# Environment: VERBOSE=1 streams the L1 serial console; ONLY=substr;
# CASE_TIMEOUT (s, L1 time, default 300); L1_TIMEOUT (s, wall, default 1800).
set -uo pipefail
PLATFORM=bochs
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/platforms/l1/l1.sh"

L1_CASE_TIMEOUT=${CASE_TIMEOUT:-300}
L1_TIMEOUT=${L1_TIMEOUT:-1800}
L1_LOG=$LOGDIR/l1-serial.log

ASSERTIONS=(kvm-intel-ept bochs-mkvm-probe cpu-pcid)
for tool in bochs xorriso; do
	command -v $tool > /dev/null ||
		l1_skip_all "$tool is not installed (tests/deps.sh)" "${ASSERTIONS[@]}"
done
for f in /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
         /usr/share/bochs/BIOS-bochs-latest /usr/share/vgabios/vgabios.bin; do
	[[ -f $f ]] || l1_skip_all "$f is missing (packages isolinux, syslinux-common, bochsbios, vgabios)" "${ASSERTIONS[@]}"
done
l1_lock
l1_kernel || l1_skip_all "no L1 kernel: $L1_ERROR" "${ASSERTIONS[@]}"
l1_new_root
l1_stage_cases
l1_initramfs kvm-intel || { fail bochs "cannot build the L1 initramfs"; summary; exit; }

# bochs_iso: an isolinux CD with the L1 kernel and initramfs.
bochs_iso() {
	local iso=$L1_WORK/iso
	rm -rf "$iso" && mkdir -p "$iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
		"$SRC/tests/platforms/l1/isolinux.cfg" "$iso/isolinux/" &&
	cp "$L1_KDIR/vmlinuz" "$iso/vmlinuz" &&
	cp "$L1_WORK/initramfs.cpio.gz" "$iso/initrd.gz" &&
	xorriso -as mkisofs -quiet -o "$L1_WORK/l1.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" \
		2> "$L1_WORK/xorriso.log" || { cat "$L1_WORK/xorriso.log" >&2; return 1; }
}
bochs_iso || { fail bochs "cannot build the L1 ISO"; summary; exit; }
sed "s|@WORK@|$L1_WORK|g" "$SRC/tests/platforms/l1/bochsrc.in" > "$L1_WORK/bochsrc"
echo c > "$L1_WORK/cmds"
: > "$L1_WORK/serial.log"

say "booting L1 ($(cut -d' ' -f1 "$L1_KDIR/package")) in Bochs, ${#L1_CASES[@]} case(s); serial: $L1_LOG (about 1 min to /dev/kvm)"
start=$(date +%s)
# Bochs exits on L1's ACPI power-off; the serial log's final marker tells a
# finished run from a crash, and a hung L1 is stopped at L1_TIMEOUT.
(cd "$L1_WORK" && exec bochs -q -f bochsrc -rc cmds) < /dev/null > "$L1_WORK/bochs.out" 2>&1 &
bochs_pid=$!
tail_pid=
[[ ${VERBOSE:-0} == 1 ]] && { tail -f "$L1_WORK/serial.log" & tail_pid=$!; }
# An interrupted harness must not leave Bochs (or tail) running.
trap 'kill $bochs_pid $tail_pid 2> /dev/null' EXIT
verdict=timeout
while (( $(date +%s) - start < L1_TIMEOUT )); do
	if ! kill -0 "$bochs_pid" 2> /dev/null; then
		verdict=exited; break
	fi
	sleep 2
done
grep -aq "^@@mkvm-$L1_NONCE done" "$L1_WORK/serial.log" && verdict=done
kill "$bochs_pid" $tail_pid 2> /dev/null
wait "$bochs_pid" 2> /dev/null
trap - EXIT
cp "$L1_WORK/serial.log" "$L1_LOG"
secs=$(( $(date +%s) - start ))
say "L1 ran ${secs}s wall clock; /dev/kvm after $(l1_fact uptime)s of L1 uptime (emulated clock)"
l1_report_facts

case $verdict in
timeout) fail bochs "Bochs did not finish within ${L1_TIMEOUT}s (L1 log: $L1_LOG)" ;;
exited)  fail bochs "Bochs stopped before L1 finished its case list (L1 log: $L1_LOG, Bochs: $L1_WORK/bochs.out, $L1_WORK/bochs.log)" ;;
esac

if [[ $(l1_fact module) == kvm_intel && $(l1_fact ept) == Y && $(l1_fact vpid) == Y && $(l1_fact dev_kvm) == yes ]]; then
	pass kvm-intel-ept
else
	fail kvm-intel-ept "L1 reported module=$(l1_fact module) ept=$(l1_fact ept) vpid=$(l1_fact vpid) unrestricted_guest=$(l1_fact unrestricted_guest) dev_kvm=$(l1_fact dev_kvm) (L1 log: $L1_LOG)"
fi
l1_check_probe bochs-mkvm-probe EPT
l1_check_pcid cpu-pcid
l1_judge_cases
summary
