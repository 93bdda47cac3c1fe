#!/usr/bin/env bash
# `make check-libvirt`: every "libvirt" case of tests/cases.list booted as a
# libvirt domain (QEMU driver) made from the release template
# images/domain.xml.in by images/mkdomain.sh, on a fresh machine as on a used
# one: starts virtlogd/libvirtd when none runs (no systemd here) and stops
# what it started, removes a stale test domain first and its own at the end.
#
# A case: virt-xml-validate, `virsh define --validate`, `virsh start`, wait
# until the guest writes its exit value to port 0xf4 (an isa-debugcon there,
# logged to a file: libvirt keeps the domain, so QEMU's exit status is not
# seen), `virsh destroy`, `virsh undefine`, then judge the exit value
# ((V << 1) | 1, as everywhere) and the libvirt-managed serial log (virtlogd
# writes it from the domain's <serial><log file=.../>).
# Environment: ONLY=substr; CASE_TIMEOUT (s, default 180; a timeout is a
# FAIL); LIBVIRT_TYPE (kvm|qemu; default: what images/mkdomain.sh decides).
set -uo pipefail
PLATFORM=libvirt
. "$(dirname "$0")/lib.sh"
. "$SRC/images/libvirt-host.sh"

CASE_TIMEOUT=${CASE_TIMEOUT:-180}
DOMAIN=mkvm-check
TAP=mkvmchk0   # not the release domain's mkvm0: a user's mkvm domain may run
UUID=6d6b766d-0000-4000-8000-00000000c4ec
RUNDIR=$BUILD/libvirt
DISK=$BUILD/images/disk.img

cleanup() {
	lv_remove "$DOMAIN" 2> /dev/null
	lv_stop
}

# wait_exit DIR: waits until the guest has written its exit value, the
# domain has stopped by itself, or CASE_TIMEOUT; prints how it ended.
wait_exit() {
	local t0=$SECONDS state
	while ((SECONDS - t0 < CASE_TIMEOUT)); do
		[[ -s $1/exit.bin ]] && { echo exited; return; }
		state=$(lv_virsh domstate --reason "$DOMAIN" 2> /dev/null)
		[[ $state == running* ]] || { echo "stopped: $state"; return; }
		sleep 0.2
	done
	echo timeout
}

# settle FILE: waits (up to 5 s) until FILE stops growing: virtlogd may still
# be writing the last lines QEMU sent before it was destroyed.
settle() {
	local a b n
	a=$(stat -c %s "$1" 2> /dev/null)
	for ((n = 0; n < 25; n++)); do
		sleep 0.2
		b=$(stat -c %s "$1" 2> /dev/null)
		[[ $a == "$b" ]] && return
		a=$b
	done
}

# libvirt_case: for_each_case callback; boots one case and judges it.
libvirt_case() {
	local name=$1 kernel=$2 initrd=$3 cmdline=$4 want=$5 expect=$6
	local dir=$RUNDIR/$name log=$LOGDIR/$name.log f how rc args
	for f in "$kernel" ${initrd:+"$initrd"}; do
		if [[ ! -f $f ]]; then
			skip "$name" "${f#"$BUILD"/} is not built (make all has no rule for it yet)"
			return
		fi
	done
	rm -rf "$dir" && mkdir -p "$dir"
	# Copies: libvirt chowns a running domain's files to its QEMU user.
	cp "$kernel" "$dir/kernel.elf" && cp "$DISK" "$dir/disk.img" || { fail "$name" "cannot copy images into $dir"; return; }
	args=(--kernel "$dir/kernel.elf" --disk "$dir/disk.img" --serial-log "$log"
		--exit-log "$dir/exit.bin" --name "$DOMAIN" --uuid "$UUID" --cmdline "$cmdline"
		--tap "$TAP")
	if [[ -n $initrd ]]; then
		cp "$initrd" "$dir/initrd.cpio" || { fail "$name" "cannot copy $initrd"; return; }
		args+=(--initrd "$dir/initrd.cpio")
	fi
	[[ -n ${LIBVIRT_TYPE:-} ]] && args+=(--type "$LIBVIRT_TYPE")
	"$SRC/images/mkdomain.sh" "${args[@]}" -o "$dir/domain.xml" || { fail "$name" "mkdomain.sh failed"; return; }
	# QEMU itself (not libvirt) opens the exit log: it must be writable by libvirt's QEMU user.
	: > "$dir/exit.bin" && chown "$QEMU_OWNER" "$dir/exit.bin" || { fail "$name" "cannot chown $dir/exit.bin to $QEMU_OWNER"; return; }
	: > "$log"

	if ! virt-xml-validate "$dir/domain.xml" domain > "$dir/validate.log" 2>&1; then
		fail "$name" "virt-xml-validate rejects $dir/domain.xml: $(tail -1 "$dir/validate.log")"
		return
	fi
	lv_remove "$DOMAIN"
	if ! lv_virsh define --validate "$dir/domain.xml" > "$dir/virsh.log" 2>&1 ||
		! lv_virsh start "$DOMAIN" >> "$dir/virsh.log" 2>&1; then
		fail "$name" "virsh define/start failed: $(grep -m1 error "$dir/virsh.log")"
		lv_remove "$DOMAIN"
		return
	fi
	how=$(wait_exit "$dir")
	lv_remove "$DOMAIN"
	settle "$log"
	if [[ $how == exited ]]; then
		rc=$(( ($(od -An -tu1 -N1 "$dir/exit.bin") << 1) | 1 ))
	else
		rc="none"
		say "$name: the guest wrote no exit value ($how); QEMU log: /var/log/libvirt/qemu/$DOMAIN.log"
		[[ $how == timeout ]] && { fail "$name" "timed out after ${CASE_TIMEOUT}s (log: $log)"; return; }
	fi
	judge "$name" "$log" "$rc" "$want" "$expect"
}

skip_all() { skip "$1" "$reason"; }

# mkvm_domain_nested: one domain file runs on libvirt and on mkvm. The
# kernel-suite case's domain, from the same template, booted by
# `mkvm --domain` inside the nested platform (tests/platforms/l1/, whose
# init sources the case script written here), with the devices of the
# release domain: virtio disk, TAP interface (L1 loads `tun`; mkvm creates
# the TAP), console and rng.
mkvm_domain_nested() {
	local name=mkvm-domain-nested kernel=kernel/kernel.elf initrd=servers/boot.cpio f
	local disk=images/disk.img
	local expect='^ok ; ^tests: [0-9]+ passed, 0 failed'
	for f in vmm/mkvm "$kernel" "$initrd" "$disk"; do
		[[ -f $BUILD/$f ]] || { skip "$name" "$f is not built"; return; }
	done
	"$BUILD/vmm/mkvm" --help 2>&1 | grep -q -- '--domain ARG' ||
		{ skip "$name" "this mkvm has no --domain option"; return; }
	command -v qemu-system-x86_64 > /dev/null ||
		{ skip "$name" "qemu-system-x86_64 is not installed (tests/deps.sh)"; return; }
	. "$SRC/tests/platforms/l1/l1.sh"
	l1_lock
	l1_kernel || { skip "$name" "no L1 kernel: $L1_ERROR"; return; }
	l1_new_root
	l1_stage_image "$kernel"
	l1_stage_image "$initrd"
	l1_stage_image "$disk"
	# Paths as L1 sees them: its root is $L1_ROOT here.
	"$SRC/images/mkdomain.sh" --kernel "$L1_ROOT/build/$kernel" --initrd "$L1_ROOT/build/$initrd" \
		--disk "$L1_ROOT/build/$disk" --cmdline test --type kvm --name "$name" |
		sed "s|$L1_ROOT/|/|g" \
		> "$L1_ROOT/build/domain.xml" || { fail "$name" "mkdomain.sh failed"; return; }
	cat > "$L1_ROOT/etc/mkvm/cases" <<-EOT
		mark 'case-begin $name'
		timeout -s KILL $CASE_TIMEOUT /mkvm/mkvm --domain /build/domain.xml < /dev/null 2>&1
		mark "case-end $name status=\$?"
	EOT
	l1_initramfs kvm-amd tun || { fail "$name" "cannot build the L1 initramfs"; return; }
	L1_LOG=$LOGDIR/$name-l1.log
	L1_CASE_TIMEOUT=$CASE_TIMEOUT
	L1_CASES=("$name|33||$expect")
	say "$name: booting the nested platform (QEMU TCG -> Linux kvm_amd -> mkvm --domain); L1 log: $L1_LOG"
	timeout $((CASE_TIMEOUT + 120)) qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1G \
		-nographic -monitor none -serial stdio -no-reboot \
		-kernel "$L1_KDIR/vmlinuz" -initrd "$L1_WORK/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet loglevel=1 panic=-1 mkvm.mode=test" < /dev/null > "$L1_LOG" 2>&1
	l1_judge_cases
}

# release_xml: the domain `make images` wrote must be valid for libvirt's
# schema and its parser (the daemonless test driver: defining it on the
# system daemon could replace a user's own domain of that name).
release_xml() {
	local xml=${IMAGES_XML:-$BUILD/images/mkvm.xml} out=$LOGDIR/release-xml.log
	if [[ ! -f $xml ]]; then
		skip release-xml "$xml does not exist (make images needs the kernel and boot module)"
	elif ! { virt-xml-validate "$xml" domain && virsh -q -c test:///default define --validate "$xml"; } > "$out" 2>&1; then
		fail release-xml "libvirt rejects $xml: $(grep -m1 -i error "$out")"
	else
		pass release-xml
	fi
}

if reason=$(lv_missing); then
	skip release-xml "$reason"
	for_each_case skip_all
	summary
	exit
fi
trap cleanup EXIT
trap "exit 130" INT TERM   # so that cleanup runs on Ctrl-C too
if ! lv_start "$LOGDIR"; then
	fail libvirtd "the libvirt daemons did not come up (see the line above)"
	summary
	exit
fi
QEMU_OWNER=$(lv_qemu_owner)
QEMU_OWNER=${QEMU_OWNER:-libvirt-qemu:kvm}
say "$(lv_virsh version | grep -m1 'Running hypervisor'), QEMU runs as $QEMU_OWNER"
if [[ ! -f $DISK ]]; then
	fail disk-image "$DISK is missing (make images builds it)"
	summary
	exit
fi
release_xml
for_each_case libvirt_case
[[ -z ${ONLY:-} || mkvm-domain-nested == *"$ONLY"* ]] && mkvm_domain_nested
summary
