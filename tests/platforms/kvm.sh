# The suites that run mkvm on real KVM (vmm, host, virtio): sourced after
# lib.sh by their harness. kvm_suite runs every case of $PLATFORM in
# tests/cases.list through the one case runner (tests/platforms/runcase.sh):
#   - directly on this host's /dev/kvm when `mkvm --probe` accepts it;
#   - also directly, with --no-host-check, the @nosyscall cases when
#     /dev/kvm opens but the probe fails (kvm_pvm: SYSCALL stays at CPL3,
#     which those guests never execute);
#   - all others in one boot of the nested platform's L1 (QEMU TCG -> Linux
#     kvm_amd -> mkvm), batched;
#   - and the @here cases, which need no KVM (mkvm must refuse them before
#     it opens /dev/kvm), on this host whatever its KVM.
# Each case's verdict is preceded by where it ran and why.
# Environment: CASE_TIMEOUT (s, per case, default 60); L1_TIMEOUT (s, wall
# clock for the L1 boot, default 600); VERBOSE=1; ONLY=substr; MKVM.

. "$SRC/tests/platforms/l1/l1.sh"

MKVM=${MKVM:-$BUILD/vmm/mkvm}
L1_CASE_TIMEOUT=${CASE_TIMEOUT:-60}
L1_TIMEOUT=${L1_TIMEOUT:-600}

# kvm_plan: runs `mkvm --probe` and sets KVM_HERE to "all", "nosyscall" or
# "none" (which cases may run on this host's /dev/kvm) and KVM_NOT_HERE to
# the reason the others cannot.
kvm_plan() {
	local probe rc
	probe=$("$MKVM" --probe 2>&1)
	rc=$?
	if ((rc == 0)); then
		KVM_HERE=all KVM_NOT_HERE=
	elif grep -q '^/dev/kvm: *ok' <<< "$probe"; then
		KVM_HERE=nosyscall
		KVM_NOT_HERE="this host's KVM fails mkvm --probe: $(grep -m1 '^SYSCALL' <<< "$probe" | tr -s ' ')"
	else
		KVM_HERE=none
		case $probe in
		*"no /dev/kvm"*)    KVM_NOT_HERE="no /dev/kvm here" ;;
		*"no permission"*)  KVM_NOT_HERE="no permission on /dev/kvm here" ;;
		*)                  KVM_NOT_HERE="/dev/kvm unusable here" ;;
		esac
	fi
}

# kvm_add_case: for_each_case callback; the case goes to the list run here
# (NOKVM_CASES for @here, HERE_CASES for the others) or to the L1 batch.
kvm_add_case() {
	local line dirs=" $8 "
	if [[ $dirs == *" @here "* ]]; then
		# mkvm must refuse it before it opens /dev/kvm: its images may be
		# missing or broken on purpose.
		line=$(CASE_IMAGES_AS_GIVEN=1 case_line here "$@") || { fail "$1" "$line"; return; }
		NOKVM_CASES+=("$1|$5|$8|$6")
		echo "$line" >> "$LOGDIR/NOKVM_CASES.cases"
	elif [[ $KVM_HERE == all || ($KVM_HERE == nosyscall && $dirs == *" @nosyscall "*) ]]; then
		line=$(case_line here "$@") || { fail "$1" "$line"; return; }
		HERE_CASES+=("$1|$5|$8|$6")
		echo "$line" >> "$LOGDIR/HERE_CASES.cases"
	else
		[[ -n $L1_ROOT ]] || kvm_l1_root "$1" || { L1_ROOT=; return; }
		l1_add_case "$@"
	fi
}

# kvm_l1_root: gets the L1 kernel and starts the L1 staging tree.
kvm_l1_root() {
	if ! command -v qemu-system-x86_64 > /dev/null; then
		fail "$1" "needs KVM ($KVM_NOT_HERE) and the nested platform needs qemu-system-x86_64 (tests/deps.sh)"
		return 1
	fi
	l1_lock
	l1_kernel || { fail "$1" "needs KVM ($KVM_NOT_HERE) and there is no L1 kernel: $L1_ERROR"; return 1; }
	l1_new_root
	: > "$L1_ROOT/etc/mkvm/cases"
}

# kvm_run_here LIST WHERE: runs the cases of $LOGDIR/LIST.cases, whose
# verdicts are in the array LIST (NOKVM_CASES, HERE_CASES), on this host,
# and judges them, each preceded by "NAME: WHERE".
kvm_run_here() {
	local -n cases=$1
	local start wrap=()
	((${#cases[@]})) || return 0
	L1_NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	L1_LOG=$LOGDIR/$1.log
	mkdir -p "$LOGDIR/tmp"
	start=$(date +%s)
	# A TAP of a case gets a network namespace of its own (root only).
	grep -q "'@tap:" "$LOGDIR/$1.cases" && (($(id -u) == 0)) && wrap=(unshare -n)
	NONCE=$L1_NONCE MKVM=$MKVM CASE_TMP=$LOGDIR/tmp "${wrap[@]}" bash -c \
		'. "$1"; . "$2"; mark done' _ "$SRC/tests/platforms/runcase.sh" \
		"$LOGDIR/$1.cases" > "$L1_LOG" 2>&1
	say "${#cases[@]} case(s) ran $2 in $(( $(date +%s) - start ))s"
	L1_CASES=("${cases[@]}")
	L1_WHERE=$2 l1_judge_cases
}

# check_one_line LOG (@check:one_line): mkvm printed exactly one line, its
# error, and no guest ran.
check_one_line() {
	local n
	n=$(grep -c . "$1")
	if ((n != 1)); then
		echo "$n lines of output, expected one error line"
	else
		n=${1##*/}
		say "${n%.log}: $(grep . "$1")" >&2
	fi
}

# kvm_run_l1: boots L1 once for every staged case and judges them.
kvm_run_l1() {
	((${#L1_CASES[@]})) || return 0
	L1_LOG=$LOGDIR/l1-serial.log
	l1_initramfs kvm-amd tun || { fail "$PLATFORM" "cannot build the L1 initramfs"; return; }
	say "${#L1_CASES[@]} case(s) need KVM ($KVM_NOT_HERE): booting the nested platform's L1 once for them; serial: $L1_LOG"
	l1_boot_qemu "$PLATFORM-l1"
	L1_WHERE="on nested L1 ($KVM_NOT_HERE)" l1_judge_cases
}

# kvm_suite: runs and judges every case of $PLATFORM, here and in L1.
kvm_suite() {
	local l1_cases
	if [[ ! -x $MKVM ]]; then
		fail "$PLATFORM" "$MKVM is not built (make all)"
		return
	fi
	kvm_plan
	NOKVM_CASES=() HERE_CASES=() L1_CASES=() L1_ROOT=
	: > "$LOGDIR/NOKVM_CASES.cases"
	: > "$LOGDIR/HERE_CASES.cases"
	for_each_case kvm_add_case
	l1_cases=("${L1_CASES[@]}")
	kvm_run_here NOKVM_CASES "on this host (needs no KVM)"
	kvm_run_here HERE_CASES "on /dev/kvm here"
	L1_CASES=("${l1_cases[@]}")
	kvm_run_l1
}
