#!/usr/bin/env bash
# `make check-host`: mkvm on this machine.
#
# With a usable /dev/kvm:
# 1. syscall-ground-truth: syscall.elf with --no-host-check shows whether
#    SYSCALL from CPL3 really reaches CPL0 here (it does not on kvm_pvm).
# 2. probe: `mkvm --probe` must name the KVM module /sys/module shows, say
#    whether EPT/NPT is on as the module parameter says, and exit 0 exactly
#    when SYSCALL works (1.).
# 3. If it does not, host-refuses-ring3: booting without --no-host-check is
#    refused with exit 6 and a message naming SYSCALL.
# Without one (no KVM module, or no permission on the device):
# 2. probe: `mkvm --probe` must say so and why, claim no module, paging mode
#    or SYSCALL result, and exit non-zero.
# 3. host-refuses: booting is refused with exit 6 and the same reason.
# Then, on any host:
# 4. The "host" cases of tests/cases.list, on real KVM (tests/platforms/
#    kvm.sh: here when `mkvm --probe` accepts this host, the @nosyscall ones
#    here when /dev/kvm merely opens, the rest in one nested L1 boot), and
#    its bad-input cases (@here), which need no KVM: unusable images exit 4
#    with one line of error, an unknown option exits 2.
# Environment: ONLY=substr; VERBOSE=1 shows each run's output; CASE_TIMEOUT
# (s, default 30 here, 60 in L1; a timeout is a FAIL); MKVM (default
# build/vmm/mkvm).
set -uo pipefail
PLATFORM=host
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/platforms/kvm.sh"

MKVM_TIMEOUT=${CASE_TIMEOUT:-30}
GUESTS=$BUILD/tests/guests

# kvm_module: the KVM implementation module loaded here, or nothing.
kvm_module() {
	local m
	for m in kvm_intel kvm_amd kvm_pvm; do
		[[ -d /sys/module/$m ]] && { echo "$m"; return; }
	done
}

# tdp_expected MODULE: "EPT on", "NPT off", ... as the module parameter says;
# kvm_pvm has none: it shadows the guest page tables.
tdp_expected() {
	local kind param v
	case $1 in
	kvm_intel) kind=EPT param=ept ;;
	kvm_amd)   kind=NPT param=npt ;;
	*)         echo "none"; return ;;
	esac
	v=$(cat "/sys/module/$1/parameters/$param" 2> /dev/null)
	case $v in
	Y|y|1) echo "$kind on" ;;
	*)     echo "$kind off" ;;
	esac
}

# run_mkvm LOG ARGS...: runs mkvm; sets rc (124: timed out). LOG gets the
# guest's serial output (mkvm's stdout), then mkvm's stderr, which is also
# kept alone in LOG.stderr; LOG.cmd the command line and exit status.
run_mkvm() {
	local log=$1
	shift
	timeout --kill-after=5 "$MKVM_TIMEOUT" "$MKVM" "$@" < /dev/null \
		> "$log.stdout" 2> "$log.stderr"
	rc=$?
	{ printf '%q' "$MKVM"; printf ' %q' "$@"; echo "    # exit $rc"; } > "$log.cmd"
	cat "$log.stdout" "$log.stderr" > "$log"
	rm -f "$log.stdout"
	if [[ ${VERBOSE:-0} == 1 ]]; then
		cat "$log.cmd"
		sed 's/^/    /' "$log"
	fi
}

# --- 1. what SYSCALL really does here -------------------------------------
syscall_works=
case_syscall_truth() {
	local name=syscall-ground-truth log=$LOGDIR/syscall-ground-truth.log
	run_mkvm "$log" --no-host-check "$GUESTS/syscall.elf"
	if ((rc == 33)) && grep -q '^syscall: CPL0 reached, sysret to CPL3 ok' "$log"; then
		syscall_works=yes
	elif ((rc == 35)) && grep -q '^syscall: arrived at CPL3' "$log"; then
		syscall_works=no
	else
		fail "$name" "syscall.elf gave neither verdict: exit $rc (log: $log)"
		return
	fi
	if [[ $module == kvm_pvm && $syscall_works == yes ]]; then
		fail "$name" "SYSCALL reached CPL0 on kvm_pvm, which PLATFORM.md says it cannot: update PLATFORM.md (log: $log)"
		return
	fi
	if [[ $module != kvm_pvm && $syscall_works == no ]]; then
		fail "$name" "SYSCALL stayed at CPL3 on $module (log: $log)"
		return
	fi
	say "$name: SYSCALL from CPL3 $([[ $syscall_works == yes ]] && echo reaches CPL0 || echo stays at CPL3) on $module"
	pass "$name"
}

# --- 2. mkvm --probe tells the same truth ----------------------------------
case_probe() {
	local name=probe log=$LOGDIR/probe.log tdp kind line words
	run_mkvm "$log" --probe
	if ((rc == 124)); then
		fail "$name" "timed out after ${MKVM_TIMEOUT}s (log: $log)"
		return
	fi
	if ! grep -Eq "kvm[_-]${module#kvm_}" "$log"; then
		fail "$name" "output does not name the module $module that /sys/module shows (log: $log)"
		return
	fi
	tdp=$(tdp_expected "$module")
	kind=${tdp% *}
	if [[ $tdp == none ]]; then
		line=$(grep -Ei '2D paging|EPT|NPT|two-dimensional|shadow' "$log" | head -1)
		if [[ -z $line ]] || ! grep -Eiq '\b(no|none|off|absent|disabled|shadow)\b' <<< "$line"; then
			fail "$name" "$module has no EPT/NPT but the output does not say so (log: $log)"
			return
		fi
	else
		line=$(grep -E "\\b$kind\\b" "$log" | head -1)
		if [[ -z $line ]]; then
			fail "$name" "output does not mention $kind (log: $log)"
			return
		fi
		words='\b(no|off|disabled)\b'
		[[ $tdp == *on ]] && words='\b(on|yes|enabled)\b'
		if ! grep -Eiq "$words" <<< "$line"; then
			fail "$name" "/sys/module/$module/parameters says $tdp, mkvm says \"$line\" (log: $log)"
			return
		fi
	fi
	if [[ -z $syscall_works ]]; then
		fail "$name" "no ground truth for SYSCALL (syscall-ground-truth failed)"
	elif [[ $syscall_works == yes ]] && ((rc != 0)); then
		fail "$name" "SYSCALL works here but --probe exited $rc (log: $log)"
	elif [[ $syscall_works == no ]] && ((rc == 0)); then
		fail "$name" "SYSCALL stays at CPL3 here but --probe exited 0 (log: $log)"
	elif [[ $syscall_works == no ]] && ! grep -qi syscall "$log"; then
		fail "$name" "--probe failed without naming SYSCALL (log: $log)"
	else
		say "$name: $module, $tdp, exit $rc"
		pass "$name"
	fi
}

# --- 3. a host that fails the probe is refused --------------------------------
case_refuse() {
	local name=host-refuses-ring3 log=$LOGDIR/host-refuses-ring3.log
	if [[ $syscall_works != no ]]; then
		skip "$name" "SYSCALL works on this host: nothing to refuse"
		return
	fi
	run_mkvm "$log" "$GUESTS/syscall.elf"
	if ((rc != 6)); then
		fail "$name" "exit status $rc, expected 6 (MKVM_EXIT_HOST) (log: $log)"
	elif grep -q '^syscall:' "$log"; then
		fail "$name" "the guest ran although mkvm refused it (log: $log)"
	elif ! grep -qi syscall "$log.stderr"; then
		fail "$name" "the refusal does not name the SYSCALL problem (log: $log)"
	else
		pass "$name"
	fi
}

# --- 2, 3 without KVM: the probe and the refusal say why -----------------------
# no_kvm_reason: what mkvm must give as the reason /dev/kvm is unusable.
no_kvm_reason() {
	if [[ -e /dev/kvm ]]; then
		echo "no permission"
	elif grep -q '^ *[0-9]* kvm$' /proc/misc 2> /dev/null; then
		echo "no /dev/kvm although a KVM module is loaded"
	else
		echo "no /dev/kvm: no KVM module is loaded"
	fi
}

case_probe_no_kvm() {
	local name=probe log=$LOGDIR/probe.log want claim
	want=$(no_kvm_reason)
	run_mkvm "$log" --probe
	claim=$(grep -E '^(kvm module|2D paging|probe guest|SYSCALL|CR4|CPUID)' "$log" | head -1)
	if ((rc == 0)); then
		fail "$name" "--probe exited 0 without a usable /dev/kvm (log: $log)"
	elif ! grep -q "$want" "$log"; then
		fail "$name" "--probe does not say \"$want\" (log: $log)"
	elif [[ -n $claim ]]; then
		fail "$name" "--probe claims what it could not measure: \"$claim\" (log: $log)"
	else
		say "$name: exit $rc: $(grep -m1 "$want" "$log")"
		pass "$name"
	fi
}

case_refuse_no_kvm() {
	local name=host-refuses log=$LOGDIR/host-refuses.log want
	want=$(no_kvm_reason)
	run_mkvm "$log" "$GUESTS/hello.elf"
	if ((rc != 6)); then
		fail "$name" "exit status $rc, expected 6 (MKVM_EXIT_HOST) (log: $log)"
	elif ! grep -q "$want" "$log.stderr"; then
		fail "$name" "the refusal does not say \"$want\" (log: $log)"
	else
		pass "$name"
	fi
}

# --- main ------------------------------------------------------------------------
if [[ ! -x $MKVM ]]; then
	fail mkvm "$MKVM is not built (make all)"
	summary
	exit
fi
if [[ -r /dev/kvm && -w /dev/kvm ]]; then
	module=$(kvm_module)
	say "KVM module: ${module:-none}, EPT/NPT: $(tdp_expected "$module"); mkvm: $MKVM"
	# Always run, even under ONLY: the decisions below depend on it.
	case_syscall_truth
	selected probe && case_probe
	selected host-refuses-ring3 && case_refuse
else
	say "no usable /dev/kvm here: $(no_kvm_reason)"
	selected probe && case_probe_no_kvm
	selected host-refuses && case_refuse_no_kvm
fi
kvm_suite
summary
