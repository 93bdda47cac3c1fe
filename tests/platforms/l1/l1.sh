# The L1 Linux of the nested platforms: fetches the Debian kernel, builds the
# initramfs that runs mkvm inside it, and turns the L1 serial log back into
# per-case verdicts. Sourced by nested.sh, bochs.sh and run.sh after lib.sh
# (which sets SRC, BUILD, PLATFORM and the say/pass/fail/skip/judge helpers).

L1_DIR=$SRC/tests/platforms/l1
# The L1 runner passes a case's mkvm options (tests/cases.list) to mkvm.
CASE_OPTIONS=1
L1_CACHE=$BUILD/platform/debian-kernel
L1_WORK=$BUILD/platform/$PLATFORM

l1_die() { L1_ERROR="$*"; printf '[%s] error: %s\n' "$PLATFORM" "$*" >&2; return 1; }

# l1_skip_all REASON ASSERTION...: the platform cannot run on this machine:
# SKIPs its assertion cases and every case of tests/cases.list, ends the run.
l1_skip_all() {
	local a
	L1_SKIP_REASON=$1; shift
	for a; do skip "$a" "$L1_SKIP_REASON"; done
	for_each_case l1_skip_case
	summary; exit
}
l1_skip_case() { skip "$1" "$L1_SKIP_REASON"; }

# l1_lock: serializes runs of this platform on one build tree (they share
# $L1_WORK); the lock is held until the harness exits.
l1_lock() {
	mkdir -p "$L1_WORK"
	exec {L1_LOCK_FD}> "$L1_WORK.lock"
	if ! flock -n "$L1_LOCK_FD"; then
		say "waiting for another $PLATFORM run on this build tree to finish"
		flock "$L1_LOCK_FD"
	fi
}

# l1_kernel_pkg: prints linux-image-amd64's current dependency, e.g.
# linux-image-6.1.0-56-amd64 (the ABI number changes with Debian updates).
l1_kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

# l1_kernel: sets L1_KDIR to an unpacked Debian kernel (vmlinuz, modules),
# downloading it on first use. Cached as $L1_CACHE/<abi>/ with a .complete
# stamp; only vmlinuz, config, the KVM-related modules and tun (/dev/net/tun,
# for mkvm's TAP) are kept. A cache from before tun was kept gets it added.
l1_kernel() {
	local pkg abi tmp deb
	pkg=$(l1_kernel_pkg)
	if [[ -z $pkg ]]; then
		L1_KDIR=$(ls -d "$L1_CACHE"/*/.complete 2>/dev/null | sort -V | tail -1)
		L1_KDIR=${L1_KDIR%/.complete}
		[[ -n $L1_KDIR ]] || l1_die "cannot resolve linux-image-amd64's kernel package (apt-cache depends linux-image-amd64 gives none: are the apt package lists present? run apt-get update)" || return
		say "apt cannot resolve linux-image-amd64; using cached ${L1_KDIR##*/}"
		return 0
	fi
	abi=${pkg#linux-image-}
	L1_KDIR=$L1_CACHE/$abi
	[[ -e $L1_KDIR/.complete && -n $(l1_module_file tun) ]] && return 0
	# One fetch at a time into the shared cache; held until the harness exits.
	mkdir -p "$L1_CACHE"
	exec {L1_CACHE_FD}> "$L1_CACHE/.lock"
	flock "$L1_CACHE_FD"
	[[ -e $L1_KDIR/.complete && -n $(l1_module_file tun) ]] && return 0
	say "fetching $pkg (apt-get download, cached in $L1_KDIR)"
	tmp=$L1_CACHE/.tmp-$abi
	rm -rf "$tmp" && mkdir -p "$tmp/x"
	if ! (cd "$tmp" && apt-get download "$pkg" > dl.log 2>&1); then
		if [[ $(id -u) -eq 0 ]]; then
			say "apt-get download failed; running apt-get update once and retrying"
			apt-get update -qq >> "$tmp/dl.log" 2>&1
			(cd "$tmp" && apt-get download "$pkg" >> dl.log 2>&1)
		fi || { cat "$tmp/dl.log" >&2; l1_die "apt-get download $pkg failed (not root, or no access to Debian's archive)"; return; }
	fi
	deb=$(ls "$tmp"/*.deb) && dpkg-deb -x "$deb" "$tmp/x" || { l1_die "cannot unpack $deb"; return; }
	if [[ -e $L1_KDIR/.complete ]]; then
		# Only add tun: another harness may be booting this kernel right now.
		cp "$tmp"/x/lib/modules/*/kernel/drivers/net/tun.ko* "$L1_KDIR/modules/" ||
			{ l1_die "no drivers/net/tun.ko* in $deb"; return; }
		rm -rf "$tmp"
		return 0
	fi
	rm -rf "$L1_KDIR" && mkdir -p "$L1_KDIR/modules"
	cp "$tmp"/x/boot/vmlinuz-* "$L1_KDIR/vmlinuz" &&
	cp "$tmp"/x/boot/config-* "$L1_KDIR/config" &&
	find "$tmp"/x/lib/modules/*/kernel/arch/x86/kvm "$tmp"/x/lib/modules/*/kernel/virt \
		"$tmp"/x/lib/modules/*/kernel/drivers/crypto/ccp -name '*.ko*' \
		-exec cp {} "$L1_KDIR/modules/" \; &&
	cp "$tmp"/x/lib/modules/*/kernel/drivers/net/tun.ko* "$L1_KDIR/modules/" ||
		{ l1_die "unexpected layout in $deb"; return; }
	echo "$pkg $(dpkg-deb -f "$deb" Version)" > "$L1_KDIR/package"
	rm -rf "$tmp"
	touch "$L1_KDIR/.complete"
}

# l1_module_file NAME: the cached module file of NAME (plain or compressed).
l1_module_file() {
	ls "$L1_KDIR/modules/$1".ko* 2>/dev/null | head -1
}

# l1_module_deps NAME: prints NAME's modules in load order (dependencies
# first). The package ships no modules.dep, so read each .modinfo section.
l1_module_deps() {
	local f dep
	f=$(l1_module_file "$1")
	[[ -n $f ]] || { l1_die "module $1 not in $L1_KDIR/modules"; return; }
	for dep in $(l1_uncompress "$f" | l1_modinfo_depends); do
		l1_module_deps "$dep" || return
	done
	echo "$1"
}

l1_uncompress() {
	case $1 in
	*.ko.xz)  xz -dc "$1" ;;
	*.ko.zst) zstd -qdc "$1" ;;
	*.ko.gz)  gzip -dc "$1" ;;
	*)        cat "$1" ;;
	esac
}

l1_modinfo_depends() {
	local t
	t=$(mktemp) && cat > "$t.ko" &&
	objcopy -O binary --only-section=.modinfo "$t.ko" "$t" &&
	tr '\0' '\n' < "$t" | sed -n 's/^depends=//p' | tr ',' ' '
	rm -f "$t" "$t.ko"
}

# l1_copy_binary FILE DEST ROOT: copies a dynamically linked FILE to ROOT/DEST
# with every shared library and the dynamic loader at their own paths.
l1_copy_binary() {
	local file=$1 dest=$2 root=$3 lib
	install -D -m 755 "$file" "$root/$dest" || return
	for lib in $(ldd "$file" 2>/dev/null | grep -oE '/[^ ]+'); do
		[[ -e $root/$lib ]] || install -D -m 755 "$(readlink -f "$lib")" "$root/$lib"
	done
}

# l1_stage_qemu [QEMU]: QEMU (default: the one on PATH) and the firmware a
# PVH -kernel boot of q35 reads, at /qemu/qemu-system-x86_64 and /qemu/fw
# in L1 (bench-virtio and bench-vmm compare mkvm with it there, both on
# L1's KVM; the @qemu cases run under it). Once per root.
l1_stage_qemu() {
	local f src qemu=${1:-}
	[[ -x $L1_ROOT/qemu/qemu-system-x86_64 ]] && return 0
	[[ -n $qemu ]] || qemu=$(command -v qemu-system-x86_64) || { say "qemu-system-x86_64 is not installed"; return 1; }
	l1_copy_binary "$qemu" qemu/qemu-system-x86_64 "$L1_ROOT" || return
	for f in bios-256k.bin linuxboot_dma.bin pvh.bin kvmvapic.bin; do
		src=$(for d in $("$qemu" -L help); do [[ -f $d/$f ]] && echo "$d/$f"; done | head -1)
		[[ -n $src ]] || { say "no $f in $("$qemu" -L help | tr '\n' ' ')"; return 1; }
		install -D -m 644 "$(readlink -f "$src")" "$L1_ROOT/qemu/fw/$f" || return
	done
}

# l1_stage_image REL: copies build/REL into the initramfs at /build/REL.
l1_stage_image() {
	[[ -e $L1_ROOT/build/$1 ]] || install -D -m 644 "$BUILD/$1" "$L1_ROOT/build/$1"
}

# l1_initramfs MODULE...: builds $L1_WORK/initramfs.cpio.gz from $L1_ROOT,
# which the caller has filled with /etc/mkvm/cases or /etc/mkvm/run and the
# images. Adds busybox, /init, mkvm (when built) and MODULE with dependencies.
# Sets L1_NONCE, the marker key of this boot.
l1_initramfs() {
	local m mods=() order
	for m in "$@"; do
		order=$(l1_module_deps "$m") || return
		mods+=($order)
	done
	# Keep the first occurrence of each module, in load order.
	order=$(printf '%s\n' "${mods[@]}" | awk '!seen[$0]++' | tr '\n' ' ')
	for m in $order; do
		mkdir -p "$L1_ROOT/lib/modules"
		l1_uncompress "$(l1_module_file "$m")" > "$L1_ROOT/lib/modules/$m.ko"
	done
	# busybox-static has no libraries; a dynamic busybox brings its own.
	l1_copy_binary "$(command -v busybox)" bin/busybox "$L1_ROOT" ||
		{ l1_die "busybox is not installed (package busybox-static)"; return; }
	install -D -m 755 "$L1_DIR/init" "$L1_ROOT/init"
	install -D -m 644 "$SRC/tests/platforms/runcase.sh" "$L1_ROOT/etc/mkvm/runcase.sh"
	[[ -x $BUILD/vmm/mkvm ]] && l1_copy_binary "$BUILD/vmm/mkvm" mkvm/mkvm "$L1_ROOT"
	L1_NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	mkdir -p "$L1_ROOT/etc/mkvm"
	printf 'NONCE=%s\nMODULES="%s"\n' "$L1_NONCE" "$order" > "$L1_ROOT/etc/mkvm/env"
	(cd "$L1_ROOT" && find . -print0 | LC_ALL=C sort -z |
		cpio --quiet -o -0 -H newc -R 0:0 | gzip -1) > "$L1_WORK/initramfs.cpio.gz"
}

# l1_new_root: starts an empty initramfs staging tree in $L1_ROOT.
l1_new_root() {
	L1_ROOT=$L1_WORK/root
	rm -rf "$L1_ROOT" && mkdir -p "$L1_ROOT/etc/mkvm"
}

# l1_shq ARG: ARG quoted for busybox sh (single quotes).
l1_shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# case_line WHERE name kernel initrd cmdline exit expect options directives:
# prints the run_case line (tests/platforms/runcase.sh) of one case. WHERE
# "l1": its images and directive files are staged into $L1_ROOT at
# /build/... and /src/REF and named there; "here": named where they are.
# Fails, saying why, when an image (unless CASE_IMAGES_AS_GIVEN is set) or
# a file is missing.
case_line() {
	local where=$1 name=$2 kernel=$3 initrd=$4 cmdline=$5 options=$8 dirs=$9
	local f o ref out=
	for f in "$kernel" $initrd; do
		[[ -f $f || -n ${CASE_IMAGES_AS_GIVEN:-} ]] || { echo "image $f is not built"; return 1; }
	done
	for o in $dirs; do
		ref=
		if [[ $o == @qemu && $where == l1 ]] && ! l1_stage_qemu > /dev/null; then
			echo "@qemu: cannot stage QEMU into L1"
			return 1
		fi
		case $o in
		@stdin:*) ref=${o#@stdin:} ;;
		@seed:*|@sector:*) ref=${o#@*:*:} ;;
		esac
		if [[ -n $ref ]]; then
			f=$(case_file "$ref")
			[[ -f $f ]] || { echo "$o: no file $f"; return 1; }
			if [[ $where == l1 ]]; then
				install -D -m 644 "$f" "$L1_ROOT/src/$ref"
				f=/src/$ref
			fi
			o=${o%"$ref"}$f
		fi
		out+="${out:+ }$o"
	done
	if [[ $where == l1 ]]; then
		l1_stage_image "${kernel#"$BUILD"/}"
		kernel=/build/${kernel#"$BUILD"/}
		if [[ -n $initrd ]]; then
			l1_stage_image "${initrd#"$BUILD"/}"
			initrd=/build/${initrd#"$BUILD"/}
		fi
	fi
	printf 'run_case %s %s %s %s %s %s %s\n' "$(l1_shq "$name")" "$L1_CASE_TIMEOUT" \
		"$(l1_shq "$kernel")" "$(l1_shq "$initrd")" "$(l1_shq "$cmdline")" \
		"$(l1_shq "$options")" "$(l1_shq "$out")"
}

# l1_add_case: for_each_case callback; stages one case into $L1_ROOT.
# Cases whose images or files are missing fail at once, without a run.
l1_add_case() {
	local line
	if [[ ! -x $BUILD/vmm/mkvm ]]; then
		fail "$1" "build/vmm/mkvm is not built"
		return
	fi
	line=$(case_line l1 "$@") || { fail "$1" "$line"; return; }
	L1_CASES+=("$1|$5|$8|$6")
	echo "$line" >> "$L1_ROOT/etc/mkvm/cases"
}

# l1_stage_cases: stages every case of $PLATFORM; fills L1_CASES with
# "name|exit|directives|expect" for l1_judge_cases.
l1_stage_cases() {
	L1_CASES=()
	: > "$L1_ROOT/etc/mkvm/cases"
	for_each_case l1_add_case
}

# l1_fact KEY: the value the L1 init reported for KEY in $L1_LOG (empty if none).
l1_fact() {
	grep -a "^@@mkvm-$L1_NONCE fact $1=" "$L1_LOG" | tail -1 | cut -d= -f2- | tr -d '\r'
}

# l1_section BEGIN END: the lines of $L1_LOG between the marker lines BEGIN
# and END (exclusive), with the serial line's carriage returns removed.
l1_section() {
	awk -v b="@@mkvm-$L1_NONCE $1" -v e="@@mkvm-$L1_NONCE $2" '
		{ sub(/\r$/, "") }
		$0 == b { on = 1; next }
		on && index($0, e) == 1 { exit }
		on' "$L1_LOG"
}

# l1_judge_cases: splits $L1_LOG per case into $LOGDIR/<case>.log and judges
# each case by the status in its end marker. In a case's expect patterns
# @RUN@ stands for this run's marker prefix, so a case can require a line
# that only the case runner can print (disk-ok, sigkill), never the guest.
# A case's @check:NAME[:ARG...] directives call check_NAME LOG ARG...
# (defined by the harness; ARGs separated by ':'), which prints why the
# case fails, or nothing; other cases' logs are in $LOGDIR, and those
# listed before it are already judged. With
# L1_WHERE set, each case's verdict is preceded by "NAME: $L1_WHERE".
l1_judge_cases() {
	local c name want dirs expect log end status d why args
	for c in "${L1_CASES[@]}"; do
		IFS='|' read -r name want dirs expect <<< "$c"
		expect=${expect//@RUN@/@@mkvm-$L1_NONCE}
		log=$LOGDIR/$name.log
		[[ -n ${L1_WHERE:-} ]] && say "$name: $L1_WHERE"
		l1_section "case-begin $name" "case-end $name status=" > "$log"
		end=$(grep -a "^@@mkvm-$L1_NONCE case-end $name status=" "$L1_LOG" | tail -1 | tr -d '\r')
		if [[ -z $end ]]; then
			if grep -aq "^@@mkvm-$L1_NONCE case-begin $name"$'\r'"\?$" "$L1_LOG"; then
				fail "$name" "no end marker: L1 or mkvm hung during this case (log: $log, L1 log: $L1_LOG)"
			else
				fail "$name" "never started: L1 did not reach this case (L1 log: $L1_LOG)"
			fi
			continue
		fi
		status=${end##*status=}
		if [[ $status == 124 ]]; then
			fail "$name" "mkvm timed out after ${L1_CASE_TIMEOUT}s (log: $log)"
			continue
		fi
		why=
		for d in $dirs; do
			[[ $d == @check:* ]] || continue
			d=${d#@check:}
			args=()
			[[ $d == *:* ]] && IFS=: read -ra args <<< "${d#*:}"
			d=${d%%:*}
			if declare -F "check_$d" > /dev/null; then
				why=$("check_$d" "$log" "${args[@]}")
			else
				why="@check:$d: no check_$d in the $PLATFORM harness"
			fi
			[[ -n $why ]] && break
		done
		if [[ -n $why ]]; then
			fail "$name" "$why (log: $log)"
			continue
		fi
		judge "$name" "$log" "$status" "$want" "$expect"
	done
}

# l1_boot_qemu: boots the L1 of the nested platform (QEMU TCG, kvm_amd)
# with $L1_WORK/initramfs.cpio.gz in test mode, its serial console into
# $L1_LOG (and the terminal with VERBOSE=1), stopped after L1_TIMEOUT
# seconds. Reports how long it ran and fails NAME ($1) when L1 did not
# finish its case list.
l1_boot_qemu() {
	local rc start secs qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1G
		-nographic -monitor none -serial stdio -no-reboot
		-kernel "$L1_KDIR/vmlinuz" -initrd "$L1_WORK/initramfs.cpio.gz"
		-append "console=ttyS0 quiet loglevel=1 panic=-1 mkvm.mode=test")
	start=$(date +%s)
	if [[ ${VERBOSE:-0} == 1 ]]; then
		timeout "$L1_TIMEOUT" "${qemu[@]}" < /dev/null | tee "$L1_LOG"
		rc=${PIPESTATUS[0]}
	else
		timeout "$L1_TIMEOUT" "${qemu[@]}" < /dev/null > "$L1_LOG" 2>&1
		rc=$?
	fi
	secs=$(( $(date +%s) - start ))
	say "L1 ran ${secs}s wall clock (QEMU status $rc); /dev/kvm after $(l1_fact uptime)s of L1 uptime"
	l1_report_facts
	if [[ $rc == 124 ]]; then
		fail "$1" "QEMU did not finish within ${L1_TIMEOUT}s (L1 log: $L1_LOG)"
	elif ! grep -aq "^@@mkvm-$L1_NONCE done" "$L1_LOG"; then
		fail "$1" "L1 did not finish its case list (QEMU status $rc, L1 log: $L1_LOG)"
	fi
}

# l1_report_facts: prints what L1 saw of KVM, for the harness's output.
l1_report_facts() {
	local k v line=
	for k in module npt ept vpid unrestricted_guest dev_kvm cpuinfo:pcid cpuinfo:invpcid uptime; do
		v=$(l1_fact "$k")
		[[ -n $v ]] && line+=" $k=$v"
	done
	say "L1 facts:${line:- none (L1 init never reported; see $L1_LOG)}"
}

# l1_check_probe NAME TDP: PASS when `mkvm --probe` ran in L1, succeeded,
# and reported two-dimensional paging TDP (EPT or NPT) as on.
l1_check_probe() {
	local status tdp=$2
	status=$(grep -a "^@@mkvm-$L1_NONCE probe-end status=" "$L1_LOG" | tail -1 | tr -d '\r')
	status=${status##*status=}
	l1_section probe-begin probe-end > "$LOGDIR/$1.log"
	if [[ -z $status ]]; then
		fail "$1" "L1 never ran mkvm --probe (L1 log: $L1_LOG)"
	elif [[ ! -x $BUILD/vmm/mkvm ]]; then
		fail "$1" "build/vmm/mkvm is not built"
	elif [[ $status != 0 ]]; then
		fail "$1" "mkvm --probe exited $status in L1 (log: $LOGDIR/$1.log)"
	elif ! grep -E "\\b$tdp\\b" "$LOGDIR/$1.log" | grep -Eiq '\b(on|yes)\b'; then
		fail "$1" "mkvm --probe does not report $tdp as on (log: $LOGDIR/$1.log)"
	else
		pass "$1"
	fi
}

# l1_probe_has FEATURE: true when L1's `mkvm --probe` output says the
# guest's supported CPUID has FEATURE ("FEATURE: yes" or "FEATURE=1" style).
l1_probe_has() {
	l1_section probe-begin probe-end |
		grep -Eiq "(^|[^[:alnum:]_])$1[[:space:]]*[:=][[:space:]]*(yes|y|1|true|on|present)([^[:alnum:]_]|$)"
}

# l1_check_pcid NAME: PASS when PCID and INVPCID are in L1's cpuinfo and in
# the CPUID that KVM supports for a guest, as mkvm --probe reports it.
l1_check_pcid() {
	local f missing=
	for f in pcid invpcid; do
		[[ $(l1_fact "cpuinfo:$f") == yes ]] || missing+=" $f(L1 cpuinfo)"
		l1_probe_has "$f" || missing+=" $f(mkvm --probe)"
	done
	if [[ -n $missing ]]; then
		fail "$1" "missing:$missing (L1 log: $L1_LOG)"
	else
		pass "$1"
	fi
}
